"""``make bench``: the soak. Consultations and mutations together, at a constant rate, for
minutes, on SQLite or PostgreSQL: the p99 of each minute and the hub's memory each minute.

A fresh network is seeded (the hub on a SQLite file in a temporary folder, or on the
PostgreSQL database ``--database-url`` names, which is emptied first); the National Register
source, the hub (``carrefour serve``, its delivery workers in its processes) and a subscriber's
receiver run as subprocesses. For ``--minutes`` minutes:

- wrk sends ``legal-data`` consultations at ``--rate`` per second (one wrk run per minute, for
  that minute's percentiles);
- the National Register publishes ``address-change`` mutations at ``--mutation-rate`` per
  second, which the hub pushes to the demo CPAS's subscription where it holds a file;
- the resident memory of the hub (all its processes) is read at the end of each minute.

The target: consultation p99 at most 100 ms every minute, and memory flat (the last minute
within 10 % of the first). The figures are printed and added to ``docs/benchmarks.md``; the
exit code is 1 when a target is missed (the figures are recorded all the same).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated

import aiohttp
import httpx
import orjson
import typer
from rich.console import Console
from sqlalchemy import insert, select

from bench import network as net
from bench.deliveries import start_receiver, wait_up
from bench.loadgen import Load, ensure_wrk, run_wrk
from bench.machine import describe_machine, process_tree_rss
from bench.servers import Server, fetch_token, running_hub, running_source
from bench.soak_report import Minute, SoakRun, record, show
from carrefour.auth.services import Scope, create_credentials
from carrefour.auth.tables import credentials
from carrefour.db import build_engine
from carrefour.directory.tables import institutions
from carrefour.signal.tables import subscriptions

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"
MINUTE = 60


def main(
    minutes: Annotated[int, typer.Option(min=1, help="Minutes of soak (10 for the full one).")
                       ] = 3,
    database_url: Annotated[str | None, typer.Option(
        help="An empty PostgreSQL database for the hub (default: SQLite in a temporary folder; "
        "the database is emptied first).")] = None,
    rate: Annotated[int, typer.Option(min=1, help="Consultations per second.")] = 200,
    mutation_rate: Annotated[int, typer.Option(min=1, help="Mutations per second.")] = 50,
    workers: Annotated[int, typer.Option(min=1, help="Hub processes.")] = 2,
    connections: Annotated[int, typer.Option(min=1, help="Connections of wrk.")] = 64,
    persons: Annotated[int, typer.Option(min=100, help="Persons in the population.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = 1,
    record_figures: Annotated[bool, typer.Option(
        "--record/--no-record", help="Add the figures to docs/benchmarks.md.")] = True,
) -> None:
    """Soak: consultations and mutations at a constant rate, p99 and memory per minute."""
    console = Console(width=130) if not Console().is_terminal else Console()
    with tempfile.TemporaryDirectory(prefix="carrefour-soak-") as folder:
        # what this process journals is linked with the key of the hub's data folder
        os.environ["CARREFOUR_DATA_DIR"] = folder
        if database_url:
            net.empty_database(database_url)
        with console.status(f"Seeding {persons:,} persons"):
            network = net.seed(Path(folder), persons=persons, seed=seed, sample=persons,
                               database_url=database_url)
        run = _soak(network, console, minutes=minutes, rate=rate, mutation_rate=mutation_rate,
                    workers=workers, connections=connections)
    show(console, run)
    if record_figures:
        record(DOCUMENT, run)
        console.print(f"Recorded in {DOCUMENT.relative_to(REPOSITORY)}")
    if not run.passed:
        raise typer.Exit(1)


def _soak(network: net.Network, console: Console, *, minutes: int, rate: int,
          mutation_rate: int, workers: int, connections: int) -> SoakRun:
    wrk = ensure_wrk()
    machine = describe_machine(REPOSITORY)
    port = net.free_port()
    receiver = start_receiver(port)
    try:
        wait_up(f"http://127.0.0.1:{port}/count")
        publisher = prepare_publishing(network, f"http://127.0.0.1:{port}/events")
        allowed = {"CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS": f"127.0.0.1:{port}"}
        with running_source(network), \
                running_hub(network, workers=workers, env=allowed) as hub:
            load = Load(url=f"{hub.url}/v1/consultations", token=fetch_token(hub, network),
                        bodies=net.write_bodies(network.data_dir / "hub.jsonl",
                                                [net.hub_body(n) for n in network.niss]))
            console.print(f"Hub {hub.url} ({workers} workers), {minutes} minute(s): "
                          f"{rate}/s consultations, {mutation_rate}/s mutations.")
            mutations = Publisher(hub, network, publisher, rate=mutation_rate)
            mutations.start(seconds=minutes * MINUTE + 5)
            measured = []
            for index in range(minutes):
                result = run_wrk(wrk, load, connections=connections, threads=1,
                                 seconds=MINUTE, rate=rate)
                measured.append((result, process_tree_rss(hub.pid)))
                console.print(f"minute {index + 1}: {result.rate:,.0f} consultations/s, p99 "
                              f"{result.latency_ms['p99']:.1f} ms, hub {measured[-1][1]:.0f} MiB")
            load_average = os.getloadavg()[1]
            mutations.join()
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    rows = [Minute(index=n + 1, consultations=result, mutation_ms=mutations.minute_p99(n),
                   rss_mib=rss) for n, (result, rss) in enumerate(measured)]
    return SoakRun(machine=machine, backend=net.backend(network.database_url),
                   rate=rate, mutation_rate=mutation_rate, workers=workers, minutes=rows,
                   load_average=load_average,
                   mutations_sent=mutations.sent, mutations_accepted=mutations.accepted)


def prepare_publishing(network: net.Network, endpoint: str) -> tuple[str, str]:
    """The National Register's publishing credentials, and the demo CPAS's subscription."""
    engine = build_engine(network.database_url)
    try:
        with engine.begin() as connection:
            register = connection.execute(select(institutions.c.id).where(
                institutions.c.kind == "national-register")).scalar_one()
            cpas = connection.execute(select(credentials.c.institution_id).where(
                credentials.c.client_id == network.client_id)).scalar_one()
            connection.execute(insert(subscriptions).values(
                institution_id=cpas, mutation_type="address-change", endpoint=endpoint,
                secret="whsec_" + "QUFB" * 8, batch_max=1, active=True,
                created_at=dt.datetime.now(dt.UTC)))
        made = create_credentials(engine, institution_id=register, scopes=[Scope.PUBLISH])
    finally:
        engine.dispose()
    return made.client_id, made.client_secret


class Publisher:
    """Publishes mutations at a fixed rate in a thread of its own; latency of each, by the
    minute it was sent in."""

    def __init__(self, hub: Server, network: net.Network, credentials: tuple[str, str], *,
                 rate: int) -> None:
        self._hub, self._network, self._credentials, self._rate = hub, network, credentials, rate
        self._latencies: dict[int, list[float]] = {}
        self._thread: threading.Thread | None = None
        self._begin = 0.0
        self.sent = self.accepted = 0

    def start(self, *, seconds: int) -> None:
        self._begin = time.perf_counter()
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(seconds),),
                                        daemon=True)
        self._thread.start()

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(timeout=MINUTE)

    def minute_p99(self, index: int) -> float | None:
        waits = sorted(self._latencies.get(index, []))
        return waits[max(0, int(len(waits) * 0.99) - 1)] * 1000 if waits else None

    async def _run(self, seconds: int) -> None:
        token = httpx.post(f"{self._hub.url}/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": self._credentials[0],
            "client_secret": self._credentials[1]}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        people = self._network.niss
        async with aiohttp.ClientSession(self._hub.url, headers=headers) as session:

            async def one(n: int) -> None:
                body = {"type": "address-change", "niss": people[n % len(people)],
                        "source_id": f"soak-{n}", "effective_date": "2024-05-01",
                        "data": {"address": {"street": f"Rue {n}", "postal_code": "1000"}}}
                started = time.perf_counter()
                try:
                    async with session.post("/v1/mutations", data=orjson.dumps(body)) as answer:
                        await answer.read()
                        self.accepted += answer.status == 202
                except aiohttp.ClientError:
                    return
                minute = int((started - self._begin) // MINUTE)
                self._latencies.setdefault(minute, []).append(time.perf_counter() - started)

            tasks = []
            for n in range(self._rate * seconds):
                delay = self._begin + n / self._rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                self.sent += 1
                tasks.append(asyncio.create_task(one(n)))
            await asyncio.gather(*tasks)


if __name__ == "__main__":
    typer.run(main)
