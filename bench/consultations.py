"""``make bench``: consultations through the hub against the same consultations sent straight to
the source, in one run.

A fresh network is seeded, the hub on SQLite in a temporary folder or on the PostgreSQL
database ``--database-url`` names (emptied first); the National Register source and the
hub run as subprocesses; wrk sends ``legal-data`` consultations about many different persons:

1. straight to the source (source protocol, the source's token), as fast as it goes;
2. the same through a bare reverse proxy (nginx ``proxy_pass``), as fast as it goes;
3. through the hub (the demo CPAS's bearer token), as fast as it goes;
4. through the hub at a constant rate (1,000/s), for the latency percentiles at that rate.

Then the journal must hold one entry per consultation sent to the hub, and ``carrefour journal
verify`` must pass. The figures are printed and added to ``docs/benchmarks.md``; the exit code
is 1 when a target is missed (the figures are recorded all the same).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench import network as net
from bench.journal import JournalCheck, settled_count, verify_chain
from bench.loadgen import Load, ensure_wrk
from bench.machine import describe_machine
from bench.outcome import Outcome
from bench.phases import Bench, Loads, Options
from bench.proxy import ensure_nginx, running_proxy
from bench.report import record, show
from bench.servers import Server, fetch_token, running_hub, running_source

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"
SAMPLE = 10_000  # different persons asked about (each request the next one)


def main(
    workers: Annotated[int, typer.Option(min=1, help="Hub processes.")] = 2,
    connections: Annotated[int, typer.Option(
        min=1, help="Connections of wrk, max-throughput phases.")] = 64,
    rate_connections: Annotated[int, typer.Option(
        min=1, help="Connections of wrk at the constant rate.")] = 256,
    duration: Annotated[int, typer.Option(min=1, help="Seconds of each max-throughput phase.")
                        ] = 15,
    rate_duration: Annotated[int, typer.Option(min=1, help="Seconds at the constant rate.")
                             ] = 25,
    rate: Annotated[int, typer.Option(min=1, help="Requests per second, constant phase.")
                    ] = 1_000,
    persons: Annotated[int, typer.Option(min=100, help="Persons in the population.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = 1,
    threads: Annotated[int, typer.Option(min=1, help="wrk threads.")] = 1,
    database_url: Annotated[str | None, typer.Option(
        help="An empty PostgreSQL database for the hub (default: SQLite in the run's folder; "
        "the database is emptied first).")] = None,
    service: Annotated[str, typer.Option(
        help="The service asked through the hub: legal-data (the National Register, as the "
        "direct phases) or harmonised-statuses (the hub's status buffer).")] = "legal-data",
    record_figures: Annotated[bool, typer.Option(
        "--record/--no-record", help="Add the figures to docs/benchmarks.md.")] = True,
) -> None:
    """Benchmark consultations: hub against direct source (SQLite or PostgreSQL)."""
    options = Options(persons=persons, seed=seed, workers=workers, connections=connections,
                      rate_connections=rate_connections,
                      threads=threads, duration=duration, rate=rate, rate_duration=rate_duration,
                      database_url=database_url, service=service)
    console = Console()
    if not console.is_terminal:
        console = Console(width=130)
    outcome = run(options, console)
    show(console, outcome)
    if record_figures:
        record(DOCUMENT, outcome)
        console.print(f"Recorded in {DOCUMENT.relative_to(REPOSITORY)}")
    if not outcome.passed:
        raise typer.Exit(1)


def run(options: Options, console: Console) -> Outcome:
    wrk, nginx = ensure_wrk(), ensure_nginx()
    machine = describe_machine(REPOSITORY)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="carrefour-bench-") as folder:
        if options.database_url:
            net.empty_database(options.database_url)
        with console.status(f"Seeding {options.persons:,} persons ({folder})"):
            network = net.seed(Path(folder), persons=options.persons, seed=options.seed,
                               sample=SAMPLE, database_url=options.database_url)
        with running_source(network) as source, \
                running_proxy(nginx, source, Path(folder)) as proxy, \
                running_hub(network, workers=options.workers) as hub:
            bench = Bench(wrk, hub=hub, source=source, proxy=proxy, options=options)
            loads = _loads(network, hub, source, proxy, options.service)
            console.print(f"Source {source.url}, proxy {proxy.url}, hub {hub.url} "
                          f"({options.workers} workers, {net.backend(network.database_url)}); "
                          f"{len(network.niss):,} persons; "
                          f"load average {load_average:.2f}.")
            bench.warm_up(loads)
            before = settled_count(network.database_url)
            direct, proxied, hub_max, steady = bench.phases(loads)
            journaled = settled_count(network.database_url) - before
        with console.status("Verifying the journal's hash chain"):
            verified, seconds = verify_chain(network.database_url, network.data_dir)
    check = JournalCheck(answered=hub_max.result.completed + steady.result.completed,
                         sent=hub_max.result.sent + steady.result.sent, journaled=journaled,
                         verified=verified, verify_seconds=seconds)
    return Outcome(machine=machine, options=options, direct=direct, proxy=proxied, hub=hub_max,
                   steady=steady, journal=check, load_average=load_average)


def _loads(network: net.Network, hub: Server, source: Server, proxy: Server,
           service: str) -> Loads:
    folder = network.data_dir
    direct = [net.source_body(niss, i) for i, niss in enumerate(network.niss)]
    asked = network.niss if service == net.SERVICE else network.integrated
    through_hub = [net.hub_body(niss, service) for niss in asked]
    bodies = net.write_bodies(folder / "direct.jsonl", direct)
    return Loads(
        direct=Load(url=f"{source.url}/v1/consult", token=network.source.token, bodies=bodies),
        proxy=Load(url=f"{proxy.url}/v1/consult", token=network.source.token, bodies=bodies),
        hub=Load(url=f"{hub.url}/v1/consultations", token=fetch_token(hub, network),
                 bodies=net.write_bodies(folder / "hub.jsonl", through_hub)),
    )


if __name__ == "__main__":
    typer.run(main)
