"""Showing a soak run and recording it in ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.loadgen import LoadResult
from bench.machine import Machine

BEGIN = "<!-- bench:soak:begin -->"
END = "<!-- bench:soak:end -->"
HEADER = (
    "| date (UTC) | commit | machine | database | minutes | rates (consult. / mutations) "
    "| consultation p99 per minute (ms) | mutation p99 per minute (ms) | hub RSS per minute (MiB) "
    "| failed (consult. + mutations) | targets |\n"
    "|---|---|---|---|--:|---|---|---|---|--:|---|\n"
)
P99_TARGET_MS = 100.0
FLAT = 0.10  # the last minute's memory within 10 % of the first


@dataclass(frozen=True, slots=True, kw_only=True)
class Minute:
    index: int
    consultations: LoadResult
    mutation_ms: float | None  # p99 of the mutations published that minute
    rss_mib: float

    @property
    def p99(self) -> float:
        return self.consultations.latency_ms["p99"]



@dataclass(frozen=True, slots=True, kw_only=True)
class SoakRun:
    machine: Machine
    backend: str
    rate: int
    mutation_rate: int
    workers: int
    minutes: list[Minute]
    mutations_sent: int
    mutations_accepted: int
    load_average: float  # of the machine over the last 5 minutes of the run
    when: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def failures(self) -> int:
        consultations = sum(m.consultations.failures for m in self.minutes)
        return consultations + self.mutations_sent - self.mutations_accepted

    @property
    def p99_met(self) -> bool:
        return all(m.p99 <= P99_TARGET_MS for m in self.minutes)

    @property
    def memory_flat(self) -> bool:
        first, last = self.minutes[0].rss_mib, self.minutes[-1].rss_mib
        return last <= first * (1 + FLAT)

    @property
    def passed(self) -> bool:
        return self.p99_met and self.memory_flat and self.failures == 0


def show(console: Console, run: SoakRun) -> None:
    table = Table("minute", "consult./s", "p50 ms", "p99 ms", "max ms", "failed",
                  "mutations p99 ms", "hub RSS MiB",
                  title=f"Soak on {run.backend}: {run.rate}/s consultations, "
                  f"{run.mutation_rate}/s mutations, {run.workers} hub worker(s)")
    for m in run.minutes:
        ms = m.consultations.latency_ms
        table.add_row(str(m.index), f"{m.consultations.rate:,.0f}", f"{ms['p50']:.1f}",
                      f"{ms['p99']:.1f}", f"{ms['max']:.1f}", str(m.consultations.failures),
                      f"{m.mutation_ms:.0f}" if m.mutation_ms is not None else "-",
                      f"{m.rss_mib:.0f}")
    console.print(table)
    verdict = "[green]targets met[/]" if run.passed else f"[red]missed: {_missed(run)}[/]"
    console.print(f"{run.machine.summary()}, load average {run.load_average:.1f}, commit "
                  f"{run.machine.commit}: {verdict}")


def _missed(run: SoakRun) -> str:
    missed = [name for name, met in (("p99 <= 100 ms", run.p99_met),
                                     ("flat memory", run.memory_flat),
                                     ("no failure", run.failures == 0)) if not met]
    return ", ".join(missed) or "none"


def markdown_row(run: SoakRun) -> str:
    def series(values: list[float | None]) -> str:
        return " / ".join("-" if v is None else f"{v:.0f}" for v in values)

    cells = [
        run.when.strftime("%Y-%m-%d %H:%M"), f"`{run.machine.commit}`",
        f"{run.machine.summary()}; load average {run.load_average:.1f}",
        run.backend, str(len(run.minutes)), f"{run.rate}/s / {run.mutation_rate}/s",
        series([m.p99 for m in run.minutes]), series([m.mutation_ms for m in run.minutes]),
        series([m.rss_mib for m in run.minutes]), str(run.failures),
        "all met" if run.passed else "missed: " + _missed(run),
    ]
    return "| " + " | ".join(cells) + " |\n"


def record(document: Path, run: SoakRun) -> None:
    """Add the run as a row of the soak table of ``document``."""
    text = document.read_text() if document.exists() else ""
    if BEGIN not in text or END not in text:
        text += f"\n## Soak\n\n{BEGIN}\n{HEADER}{END}\n"
    head, rest = text.split(END, 1)
    document.write_text(head + markdown_row(run) + END + rest)
