"""``make bench``: a valid client's latency while 16 clients send wrong secrets, in one run.

A fresh network is seeded on SQLite in a temporary folder; the National Register source and the
hub (one process, the default authentication settings) run as subprocesses. The valid client,
the demo CPAS on 127.0.0.1, sends ``legal-data`` consultations at a constant rate (latency
counted from each request's slot in the timetable, so queueing is not hidden) and asks for a
token once a second. Four phases of the same length, a quiet one before each flood (the
machine's background load drifts; each flood is compared with the quiet phase just before it):

1. **quiet**: the valid client alone;
2. **flood, fixed ids**: 16 attackers (127.0.0.2 to 127.0.0.17, one address each), each sending
   wrong secrets for an existing client id of another institution, one attempt after another
   (each waits for its answer, as a password-guessing script does; none honours Retry-After);
3. **quiet** again;
4. **flood, rotating ids**: 16 attackers (127.0.1.2 to 127.0.1.17) with a new random client id at
   every attempt (only the per-address throttle can stop them).

The attackers run in their own process (aiohttp), the valid client in the bench's. The figures
are the valid client's p95 in each flood phase over its p95 in the quiet phase before it
(target: at most 2), the
attackers' answers, how many secrets the hub actually checked for them (journal entries
``invalid-credentials``), and the CPU used; then ``carrefour journal verify`` must pass. They are
printed and added to ``docs/benchmarks.md``; the exit code is 1 when a target is missed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select

from bench import network as net
from bench.journal import verify_chain
from bench.machine import Machine, describe_machine, machine_busy, process_tree_cpu
from bench.servers import Server, running_hub, running_source
from carrefour.journal.tables import journal_entries

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"
BEGIN = "<!-- bench:auth-flood:begin -->"
END = "<!-- bench:auth-flood:end -->"
HEADER = (
    "| date (UTC) | commit | machine | consult/s | quiet p95: consult / token "
    "| fixed ids: p95, ratio | rotating ids: p95, ratio | attackers' answers (fixed / rotating) "
    "| secrets checked for them | valid tokens ok | targets |\n"
    "|---|---|---|--:|--:|---|---|---|--:|--:|---|\n"
)
MAX_RATIO = 2.0
ATTACKERS = 16
PHASES = ("quiet", "flood, fixed ids", "quiet again", "flood, rotating ids")
FLOODS = (1, 3)  # each compared with the phase before it


@dataclass(slots=True)
class Samples:
    """The valid client's answers during one phase."""

    consult_ms: list[float] = field(default_factory=list)
    token_ms: list[float] = field(default_factory=list)
    consult_failed: int = 0
    token_status: Counter[int] = field(default_factory=Counter)

    def p(self, which: str, percent: float) -> float:
        values = sorted(self.consult_ms if which == "consult" else self.token_ms)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(len(values) * percent / 100))]


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase:
    name: str
    samples: Samples
    attackers: dict[str, int]  # answers the attackers got, by HTTP status
    checked: int  # secrets the hub checked for the attackers (invalid-credentials entries)
    hub_cpu: float  # % of one core
    load_cpu: float  # the valid client and the attackers
    other_cpu: float  # the rest of the machine


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    machine: Machine
    rate: int
    seconds: int
    phases: list[Phase]
    verified: bool
    when: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def ratio(self, index: int, which: str) -> float:
        quiet = self.phases[index - 1].samples.p(which, 95)
        return self.phases[index].samples.p(which, 95) / quiet

    @property
    def targets(self) -> list[tuple[str, str, bool]]:
        found = []
        for index in FLOODS:
            for which in ("consult", "token"):
                ratio = self.ratio(index, which)
                found.append((f"{PHASES[index]}: {which} p95 / quiet", f"{ratio:.2f}",
                              ratio <= MAX_RATIO))
        failed = sum(p.samples.consult_failed for p in self.phases)
        found.append(("valid consultations failed", str(failed), failed == 0))
        found.append(("journal verified", str(self.verified), self.verified))
        return found

    @property
    def passed(self) -> bool:
        return all(met for _, _, met in self.targets)


def main(
    rate: Annotated[int, typer.Option(min=1, help="The valid client's consultations/s.")] = 100,
    seconds: Annotated[int, typer.Option(min=5, help="Seconds of each phase.")] = 30,
    persons: Annotated[int, typer.Option(min=100, help="Persons in the population.")] = 2_000,
    record_figures: Annotated[bool, typer.Option(
        "--record/--no-record", help="Add the figures to docs/benchmarks.md.")] = True,
) -> None:
    """Benchmark: a valid client's p95 quiet and while 16 clients send wrong secrets."""
    console = Console(width=130) if not Console().is_terminal else Console()
    outcome = run(console, rate=rate, seconds=seconds, persons=persons)
    show(console, outcome)
    if record_figures:
        record(DOCUMENT, outcome)
        console.print(f"Recorded in {DOCUMENT.relative_to(REPOSITORY)}")
    if not outcome.passed:
        raise typer.Exit(1)


def run(console: Console, *, rate: int, seconds: int, persons: int) -> Outcome:
    machine = describe_machine(REPOSITORY)
    with tempfile.TemporaryDirectory(prefix="carrefour-bench-") as folder:
        with console.status(f"Seeding {persons:,} persons (SQLite, {folder})"):
            network = net.seed(Path(folder), persons=persons, seed=1, sample=1_000)
        victims = [c for c in network.client_ids if c != network.client_id]
        with running_source(network) as source, running_hub(network, workers=1) as hub:
            console.print(f"Source {source.url}, hub {hub.url} (1 process); "
                          f"{len(network.niss):,} persons; attackers' ids: {len(victims)}.")
            asyncio.run(_valid_client(hub, network, rate=rate, seconds=3))  # warm-up
            attacks: tuple[list[str] | None, ...] = (
                None, ["--first", "127.0.0.2", "--ids", ",".join(victims)],
                None, ["--first", "127.0.1.2", "--rotate"],
            )
            phases = [_phase(name, hub, network, rate, seconds, attack=attack)
                      for name, attack in zip(PHASES, attacks, strict=True)]
        with console.status("Verifying the journal's hash chain"):
            verified, _ = verify_chain(network.database_url, network.data_dir)
    return Outcome(machine=machine, rate=rate, seconds=seconds, phases=phases,
                   verified=verified)


def _phase(name: str, hub: Server, network: net.Network, rate: int, seconds: int, *,
           attack: list[str] | None) -> Phase:
    before_checked = _checked(network.database_url)
    busy, total = machine_busy()
    hub_cpu, load, wall = process_tree_cpu(hub.pid), _load_cpu(), time.monotonic()
    attackers = None
    if attack is not None:
        attackers = subprocess.Popen(
            [sys.executable, "-m", "bench.auth_flood", "attack", "--url", hub.url,
             "--seconds", str(seconds), *attack], stdout=subprocess.PIPE, text=True)
    samples = asyncio.run(_valid_client(hub, network, rate=rate, seconds=seconds))
    answers: dict[str, int] = {}
    if attackers is not None:
        out, _ = attackers.communicate(timeout=seconds + 60)
        answers = json.loads(out.strip().splitlines()[-1])
    elapsed = time.monotonic() - wall
    busy_after, total_after = machine_busy()
    hub_share = 100 * (process_tree_cpu(hub.pid) - hub_cpu) / elapsed
    load_share = 100 * (_load_cpu() - load) / elapsed
    machine = 100 * (busy_after - busy) / (total_after - total) * (os.cpu_count() or 1)
    time.sleep(1)  # the journal's group commit settles
    return Phase(name=name, samples=samples, attackers=answers,
                 checked=_checked(network.database_url) - before_checked, hub_cpu=hub_share,
                 load_cpu=load_share, other_cpu=max(0.0, machine - hub_share - load_share))


def _load_cpu() -> float:
    """CPU seconds of this process (the valid client) and of its finished children."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _checked(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(journal_entries).where(
                journal_entries.c.action == "authenticate",
                journal_entries.c.outcome == "invalid-credentials")
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


# --- the valid client --------------------------------------------------------------------------
async def _valid_client(hub: Server, network: net.Network, *, rate: int, seconds: int
                        ) -> Samples:
    samples = Samples()
    connector = aiohttp.TCPConnector(limit=256, local_addr=("127.0.0.1", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        token = await _token(session, hub, network, samples=None)
        await asyncio.gather(
            _consultations(session, hub, network, token, rate=rate, seconds=seconds,
                           samples=samples),
            _tokens(session, hub, network, seconds=seconds, samples=samples))
    return samples


async def _consultations(session: aiohttp.ClientSession, hub: Server, network: net.Network,
                         token: str, *, rate: int, seconds: int, samples: Samples) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    tasks = []
    for i in range(rate * seconds):
        slot = start + i / rate
        await asyncio.sleep(max(0.0, slot - time.perf_counter()))
        body = net.hub_body(network.niss[i % len(network.niss)])
        tasks.append(asyncio.ensure_future(
            _consult(session, f"{hub.url}/v1/consultations", body, headers, slot, samples)))
    await asyncio.gather(*tasks)


async def _consult(session: aiohttp.ClientSession, url: str, body: dict[str, object],
                   headers: dict[str, str], slot: float, samples: Samples) -> None:
    try:
        async with session.post(url, json=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=30)) as answer:
            await answer.read()
            ok = answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    samples.consult_ms.append((time.perf_counter() - slot) * 1000)
    if not ok:
        samples.consult_failed += 1


async def _tokens(session: aiohttp.ClientSession, hub: Server, network: net.Network, *,
                  seconds: int, samples: Samples) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await _token(session, hub, network, samples=samples)
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))


async def _token(session: aiohttp.ClientSession, hub: Server, network: net.Network, *,
                 samples: Samples | None) -> str:
    started = time.perf_counter()
    form = {"grant_type": "client_credentials", "client_id": network.client_id,
            "client_secret": network.client_secret}
    async with session.post(f"{hub.url}/oauth/token", data=form,
                            timeout=aiohttp.ClientTimeout(total=60)) as answer:
        body = await answer.json(content_type=None)
        if samples is not None:
            samples.token_status[answer.status] += 1
            if answer.status == 200:
                samples.token_ms.append((time.perf_counter() - started) * 1000)
    token: str = body.get("access_token", "")
    return token


# --- the attackers (their own process) ---------------------------------------------------------
def attack(
    url: Annotated[str, typer.Option()],
    seconds: Annotated[int, typer.Option()],
    first: Annotated[str, typer.Option(help="The first attacker's address.")],
    ids: Annotated[str, typer.Option(help="Client ids to attack, comma-separated.")] = "",
    rotate: Annotated[bool, typer.Option(help="A new random client id per attempt.")] = False,
) -> None:
    """16 closed-loop attackers, one address each; prints their answers' statuses (JSON)."""
    base = first.rsplit(".", 1)
    addresses = [f"{base[0]}.{int(base[1]) + i}" for i in range(ATTACKERS)]
    targets = [x for x in ids.split(",") if x] or ["nobody"]
    answers: Counter[str] = Counter()
    asyncio.run(_attack_all(url, seconds, addresses, targets, rotate, answers))
    print(json.dumps(dict(answers)))


async def _attack_all(url: str, seconds: int, addresses: list[str], targets: list[str],
                      rotate: bool, answers: Counter[str]) -> None:
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(
        _attacker(url, address, targets[i % len(targets)], rotate, deadline, answers)
        for i, address in enumerate(addresses)))


async def _attacker(url: str, address: str, client_id: str, rotate: bool, deadline: float,
                    answers: Counter[str]) -> None:
    connector = aiohttp.TCPConnector(limit=1, local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        while time.monotonic() < deadline:
            form = {"grant_type": "client_credentials",
                    "client_id": f"guess-{uuid.uuid4().hex[:12]}" if rotate else client_id,
                    "client_secret": uuid.uuid4().hex}
            try:
                async with session.post(f"{url}/oauth/token", data=form,
                                        timeout=aiohttp.ClientTimeout(total=30)) as answer:
                    await answer.read()
                    answers[str(answer.status)] += 1
            except (aiohttp.ClientError, TimeoutError):
                answers["error"] += 1


# --- showing and recording ---------------------------------------------------------------------
def show(console: Console, outcome: Outcome) -> None:
    table = Table("phase", "consult p50", "p95", "p99", "failed", "token p50", "p95",
                  "tokens (status)", "attackers' answers", "secrets checked", "CPU hub",
                  "load", "other",
                  title=f"The valid client at {outcome.rate}/s, {outcome.seconds} s a phase (ms)")
    for phase in outcome.phases:
        s = phase.samples
        table.add_row(phase.name, f"{s.p('consult', 50):.1f}", f"{s.p('consult', 95):.1f}",
                      f"{s.p('consult', 99):.1f}", str(s.consult_failed),
                      f"{s.p('token', 50):.0f}", f"{s.p('token', 95):.0f}",
                      _statuses(s.token_status), _statuses(phase.attackers),
                      str(phase.checked), f"{phase.hub_cpu:.0f}%", f"{phase.load_cpu:.0f}%",
                      f"{phase.other_cpu:.0f}%")
    console.print(table)
    targets = Table("target", "required", "measured", "", title="Targets")
    for name, measured, met in outcome.targets:
        required = f"≤ {MAX_RATIO:.0f}" if "p95" in name else ("0" if "failed" in name else
                                                                "True")
        targets.add_row(name, required, measured, "[green]met[/]" if met else "[red]missed[/]")
    console.print(targets)
    console.print(f"{outcome.machine.summary()}, commit {outcome.machine.commit}")


def _statuses(counts: Any) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))


def markdown_row(outcome: Outcome) -> str:
    quiet, fixed, again, rotating = (p.samples for p in outcome.phases)
    missed = [name for name, _, met in outcome.targets if not met]
    noise = max(p.other_cpu for p in outcome.phases)
    verdict = "all met" if not missed else "missed: " + ", ".join(missed)
    if noise > 40:
        verdict += f" — *machine not quiet: other processes up to {noise:.0f}% of a core*"
    tokens_ok = sum(s.token_status[200] for s in (fixed, rotating))
    tokens_all = sum(sum(s.token_status.values()) for s in (fixed, rotating))
    cells = [
        outcome.when.strftime("%Y-%m-%d %H:%M"), f"`{outcome.machine.commit}`",
        outcome.machine.summary(), str(outcome.rate),
        f"{quiet.p('consult', 95):.1f}, {again.p('consult', 95):.1f} ms / "
        f"{quiet.p('token', 95):.0f}, {again.p('token', 95):.0f} ms",
        f"{fixed.p('consult', 95):.1f} ms ({outcome.ratio(1, 'consult'):.2f}) / "
        f"{fixed.p('token', 95):.0f} ms ({outcome.ratio(1, 'token'):.2f})",
        f"{rotating.p('consult', 95):.1f} ms ({outcome.ratio(3, 'consult'):.2f}) / "
        f"{rotating.p('token', 95):.0f} ms ({outcome.ratio(3, 'token'):.2f})",
        f"{_statuses(outcome.phases[1].attackers)} / {_statuses(outcome.phases[3].attackers)}",
        f"{outcome.phases[1].checked} / {outcome.phases[3].checked}",
        f"{tokens_ok} / {tokens_all}", verdict,
    ]
    return "| " + " | ".join(cells) + " |\n"


def record(document: Path, outcome: Outcome) -> None:
    text = document.read_text() if document.exists() else ""
    if BEGIN not in text or END not in text:
        text += f"\n### Results\n\n{BEGIN}\n{HEADER}{END}\n"
    head, rest = text.split(END, 1)
    document.write_text(head + markdown_row(outcome) + END + rest)


cli = typer.Typer(add_completion=False)
cli.command("run")(main)
cli.command("attack")(attack)

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "attack":
        cli()
    else:
        typer.run(main)
