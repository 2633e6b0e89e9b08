"""``python -m bench.mixed``: what mutations cost consultations, as a ratio in one run.

A fresh network is seeded (the hub on SQLite in a temporary folder, or on the PostgreSQL
database ``--database-url`` names, emptied first); the National Register source, the hub and
a subscriber's receiver run as subprocesses, as in the soak. Phases of ``--seconds`` alternate
``--rounds`` times: consultations alone at ``--rate`` per second, then the same consultations
while the National Register publishes ``address-change`` mutations at ``--mutation-rate`` per
second (the hub takes them in, journals them and pushes them to the demo CPAS's subscription).

The target (the speed issue): with mutations, consultation p99 at most twice its value without
them, comparing the medians of the rounds' p99 in the same run. The figures are printed and
added to ``docs/benchmarks.md``; the exit code is 1 when the target is missed.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench import network as net
from bench.deliveries import start_receiver, wait_up
from bench.loadgen import Load, LoadResult, ensure_wrk, run_wrk
from bench.machine import Machine, describe_machine
from bench.servers import fetch_token, running_hub, running_source
from bench.soak import Publisher, prepare_publishing

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:mixed:begin -->", "<!-- bench:mixed:end -->"
HEADER = (
    "| date (UTC) | commit | machine | database | workers | rates (consult. / mutations) "
    "| p50 / p99 alone (ms) | p50 / p99 with mutations (ms) | mutation p99 (ms) "
    "| p99 ratio | target (≤ 2) |\n|---|---|---|---|--:|---|---|---|---|--:|---|\n"
)
RATIO_TARGET = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MixedRun:
    machine: Machine
    backend: str
    workers: int
    rate: int
    mutation_rate: int
    alone: list[LoadResult]
    mixed: list[LoadResult]
    mutation_p99_ms: list[float]
    load_average: float
    when: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @staticmethod
    def _median(results: list[LoadResult], key: str) -> float:
        return statistics.median(r.latency_ms[key] for r in results)

    @property
    def ratio(self) -> float:
        return self._median(self.mixed, "p99") / max(self._median(self.alone, "p99"), 0.001)

    @property
    def passed(self) -> bool:
        failures = sum(r.failures for r in self.alone + self.mixed)
        return self.ratio <= RATIO_TARGET and failures == 0

    def row(self) -> str:
        def pair(results: list[LoadResult]) -> str:
            each = ", ".join(f"{r.latency_ms['p99']:.0f}" for r in results)
            return (f"{self._median(results, 'p50'):.1f} / {self._median(results, 'p99'):.1f}"
                    f" ({each})")

        mutations = statistics.median(self.mutation_p99_ms) if self.mutation_p99_ms else 0.0
        cells = [self.when.strftime("%Y-%m-%d %H:%M"), f"`{self.machine.commit}`",
                 f"{self.machine.summary()}; load average {self.load_average:.1f}",
                 self.backend, str(self.workers), f"{self.rate}/s / {self.mutation_rate}/s",
                 pair(self.alone), pair(self.mixed), f"{mutations:.0f}", f"{self.ratio:.2f}",
                 "met" if self.passed else "missed"]
        return "| " + " | ".join(cells) + " |\n"


def main(
    database_url: Annotated[str | None, typer.Option(
        help="An empty PostgreSQL database for the hub (default: SQLite in a temporary "
        "folder; the database is emptied first).")] = None,
    rate: Annotated[int, typer.Option(min=1, help="Consultations per second.")] = 200,
    mutation_rate: Annotated[int, typer.Option(min=1, help="Mutations per second.")] = 50,
    seconds: Annotated[int, typer.Option(min=5, help="Seconds of each phase.")] = 30,
    rounds: Annotated[int, typer.Option(min=1, help="Pairs of phases.")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="Hub processes.")] = 1,
    persons: Annotated[int, typer.Option(min=100, help="Persons in the population.")] = 5_000,
    record_figures: Annotated[bool, typer.Option(
        "--record/--no-record", help="Add the figures to docs/benchmarks.md.")] = True,
) -> None:
    """Consultation latency alone and with mutations, alternating, in one run."""
    console = Console(width=130) if not Console().is_terminal else Console()
    with tempfile.TemporaryDirectory(prefix="carrefour-mixed-") as folder:
        os.environ["CARREFOUR_DATA_DIR"] = folder
        if database_url:
            net.empty_database(database_url)
        with console.status(f"Seeding {persons:,} persons"):
            network = net.seed(Path(folder), persons=persons, seed=1, sample=persons,
                               database_url=database_url)
        run = _alternate(network, console, rate=rate, mutation_rate=mutation_rate,
                         seconds=seconds, rounds=rounds, workers=workers)
    _show(console, run)
    if record_figures:
        _record(run)
        console.print(f"Recorded in {DOCUMENT.relative_to(REPOSITORY)}")
    if not run.passed:
        raise typer.Exit(1)


def _alternate(network: net.Network, console: Console, *, rate: int, mutation_rate: int,
               seconds: int, rounds: int, workers: int) -> MixedRun:
    wrk, machine, port = ensure_wrk(), describe_machine(REPOSITORY), net.free_port()
    receiver = start_receiver(port)
    alone: list[LoadResult] = []
    mixed: list[LoadResult] = []
    mutation_p99: list[float] = []
    try:
        wait_up(f"http://127.0.0.1:{port}/count")
        publisher = prepare_publishing(network, f"http://127.0.0.1:{port}/events")
        allowed = {"CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS": f"127.0.0.1:{port}"}
        with running_source(network), running_hub(network, workers=workers, env=allowed) as hub:
            load = Load(url=f"{hub.url}/v1/consultations", token=fetch_token(hub, network),
                        bodies=net.write_bodies(network.data_dir / "hub.jsonl",
                                                [net.hub_body(n) for n in network.niss]))
            run_wrk(wrk, load, connections=32, threads=1, seconds=5, rate=rate)  # warm up
            for index in range(rounds):
                alone.append(run_wrk(wrk, load, connections=32, threads=1, seconds=seconds,
                                     rate=rate))
                mutations = Publisher(hub, network, publisher, rate=mutation_rate)
                mutations.start(seconds=seconds)
                mixed.append(run_wrk(wrk, load, connections=32, threads=1, seconds=seconds,
                                     rate=rate))
                mutations.join()
                mutation_p99.append(mutations.minute_p99(0) or 0.0)
                console.print(f"round {index + 1}: p99 alone {alone[-1].latency_ms['p99']:.1f}"
                              f" ms, with mutations {mixed[-1].latency_ms['p99']:.1f} ms")
            load_average = os.getloadavg()[1]
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    return MixedRun(machine=machine, backend=net.backend(network.database_url),
                    workers=workers, rate=rate, mutation_rate=mutation_rate, alone=alone,
                    mixed=mixed, mutation_p99_ms=mutation_p99, load_average=load_average)


def _show(console: Console, run: MixedRun) -> None:
    table = Table("round", "alone p50", "alone p99", "mixed p50", "mixed p99", "failed",
                  title=f"{run.backend}: {run.rate}/s consultations, {run.mutation_rate}/s "
                  f"mutations, {run.workers} hub worker(s)")
    for n, (a, m) in enumerate(zip(run.alone, run.mixed, strict=True), start=1):
        table.add_row(str(n), f"{a.latency_ms['p50']:.1f}", f"{a.latency_ms['p99']:.1f}",
                      f"{m.latency_ms['p50']:.1f}", f"{m.latency_ms['p99']:.1f}",
                      str(a.failures + m.failures))
    console.print(table)
    verdict = "[green]target met[/]" if run.passed else "[red]target missed[/]"
    console.print(f"p99 with mutations / alone: {run.ratio:.2f} (target ≤ {RATIO_TARGET}); "
                  f"load average {run.load_average:.1f}: {verdict}")


def _record(run: MixedRun) -> None:
    text = DOCUMENT.read_text()
    if BEGIN not in text:
        title = "## Mixed load: consultations with and without mutations"
        text += f"\n{title}\n\n{BEGIN}\n{HEADER}{END}\n"
    head, rest = text.split(END, 1)
    DOCUMENT.write_text(head + run.row() + END + rest)


if __name__ == "__main__":
    typer.run(main)
