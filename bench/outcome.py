"""What a run found, measured against the targets of the issue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bench.journal import JournalCheck
from bench.machine import QUIET_LOAD, Machine
from bench.phases import Options, Phase

MIN_HUB_RATE = 1_000  # checked, journaled consultations per second
MAX_P99_MS = 20.0  # at that rate
MIN_RATIO = 0.5  # hub throughput / direct throughput, one hub process
MIN_RATIO_WORKERS = 0.7  # the same with several hub processes (the best configuration)
MIN_DELIVERED = 0.98  # share of the constant rate actually delivered
MAX_LATE = 0.01  # share of constant-rate requests that may leave after their slot


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    name: str
    required: str
    measured: str
    met: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    machine: Machine
    options: Options
    direct: Phase
    proxy: Phase  # the source through nginx
    hub: Phase
    steady: Phase  # the hub at the constant rate
    journal: JournalCheck
    load_average: float  # of the machine (1 min) when the run started
    when: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def phases(self) -> tuple[Phase, Phase, Phase, Phase]:
        return self.direct, self.proxy, self.hub, self.steady

    @property
    def ratio(self) -> float:
        return self.hub.result.rate / self.direct.result.rate

    @property
    def proxy_ratio(self) -> float:
        return self.proxy.result.rate / self.direct.result.rate

    @property
    def quiet(self) -> bool:
        """Whether the machine was quiet when the run started (its load average)."""
        return self.load_average <= QUIET_LOAD

    @property
    def min_ratio(self) -> float:
        return MIN_RATIO if self.options.workers == 1 else MIN_RATIO_WORKERS

    @property
    def targets(self) -> list[Target]:
        steady = self.steady.result
        rate, p99 = self.hub.result.rate, steady.latency_ms["p99"]
        delivered, late = steady.rate / self.options.rate, steady.late / max(1, steady.sent)
        return [
            Target(name="hub throughput", required=f"≥ {MIN_HUB_RATE:,}/s",
                   measured=f"{rate:,.0f}/s", met=rate >= MIN_HUB_RATE),
            Target(name=f"p99 at {self.options.rate:,}/s", required=f"≤ {MAX_P99_MS:.0f} ms",
                   measured=f"{p99:.1f} ms", met=p99 <= MAX_P99_MS),
            Target(name="hub / direct", required=f"≥ {self.min_ratio:.2f}",
                   measured=f"{self.ratio:.2f}", met=self.ratio >= self.min_ratio),
            Target(name="constant rate held", required=f"≥ {MIN_DELIVERED:.0%}, "
                   f"≤ {MAX_LATE:.0%} late", measured=f"{delivered:.1%}, {late:.1%} late",
                   met=delivered >= MIN_DELIVERED and late <= MAX_LATE),
            Target(name="no failed request", required="0",
                   measured=str(sum(p.result.failures for p in self.phases)),
                   met=all(p.result.failures == 0 for p in self.phases)),
            Target(name="journal", required="1 entry per answer, chain verified",
                   measured=self._journal_summary(), met=self.journal.ok),
        ]

    @property
    def passed(self) -> bool:
        return all(target.met for target in self.targets)

    def _journal_summary(self) -> str:
        check = self.journal
        chain = "verified" if check.verified else "BROKEN"
        return (f"{check.journaled:,} entries for {check.answered:,} answered / "
                f"{check.sent:,} sent; chain {chain}")
