"""The fan-out case: the full picture through the real hub, every simulated source answering
``DELAY`` late. The sources run in one subprocess (a uvicorn server per source, in threads),
the hub in another (``carrefour serve``); requests are sent one after the other."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bench.network import free_port
from bench.servers import hub_command, hub_environment, running
from carrefour.db import build_engine
from carrefour.migrations import upgrade
from carrefour.simulation.network import DEMO_CPAS_SLUG
from carrefour.simulation.seeding.seed import SeedReport, SourceDatabase, seed_network
from carrefour.simulation.seeding.sources_db import writer_engine
from carrefour.simulation.sources.app import create_source_app

DELAY = 0.050
PERSONS = 20_000
REQUESTS = 200


class Late:
    """An ASGI wrapper: every consultation answered ``delay`` seconds late."""

    def __init__(self, app: Any, delay: float) -> None:
        self.app, self.delay = app, delay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/consult":
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


def serve_sources(sources: list[SourceDatabase], delay: float) -> None:
    """Every source on its own port, in threads of this process, until killed."""
    for source in sources:
        app = Late(create_source_app(source.kind, database_url=source.database_url,
                                     token=source.token, name=source.name, number=source.number),
                   delay)
        config = uvicorn.Config(app, host="127.0.0.1", port=source.port, log_level="warning",
                                access_log=False)
        threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
    threading.Event().wait()


def fan_out() -> None:
    with tempfile.TemporaryDirectory(prefix="carrefour-fanout-") as folder:
        data_dir = Path(folder)
        database_url = f"sqlite:///{data_dir / 'carrefour.sqlite3'}"
        engine = build_engine(database_url)
        upgrade(engine)
        report = seed_network(hub_engine=engine, sources_dir=data_dir / "sources",
                              persons=PERSONS, seed=5, base_port=free_port() + 100)
        engine.dispose()
        niss = files_of(report).most_common(1)[0][0]
        sources = multiprocessing.get_context("spawn").Process(
            target=serve_sources, args=(list(report.sources), DELAY), daemon=True)
        sources.start()
        try:
            _measure(data_dir, database_url, report, niss)
        finally:
            sources.kill()
            sources.join()


def _measure(data_dir: Path, database_url: str, report: SeedReport, niss: str) -> None:
    network = _Bench(data_dir=data_dir, database_url=database_url)
    port = free_port()
    with running("hub", hub_command(port, workers=1), url=f"http://127.0.0.1:{port}",
                  health="/health", log=data_dir / "hub.log",
                  env=hub_environment(network)):  # type: ignore[arg-type]
        hub = f"http://127.0.0.1:{port}"
        client = _client(hub, report)
        end_user = {"id": "bench", "role": "social-worker"}
        body = {"niss": niss, "quality_code": 2, "end_user": end_user}
        client.post("/v1/integrations", json=body)
        ask = {"service": "full-picture", "niss": niss, "capacity": 2, "end_user": end_user}
        for _ in range(20):
            answer = client.post("/v1/consultations", json=ask).json()
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.post("/v1/consultations", json=ask)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    calls = Counter(s["name"] for s in answer["sources"])
    ordered = sorted(timings)
    print(f"fan-out (full picture): {len(calls)} sources, {sum(calls.values())} calls, each "
          f"{DELAY * 1000:.0f} ms late: p50 {statistics.median(ordered) * 1000:.1f} ms, "
          f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f} ms (n={len(ordered)})")
    print("parts:", {k: v["status"] for k, v in answer["data"].items()})


class _Bench:
    def __init__(self, *, data_dir: Path, database_url: str) -> None:
        self.data_dir, self.database_url = data_dir, database_url


def _client(hub: str, report: SeedReport) -> httpx.Client:
    issued = next(c for c in report.credentials if c.institution == DEMO_CPAS_SLUG)
    token = httpx.post(f"{hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": issued.client_id,
        "client_secret": issued.client_secret}).json()["access_token"]
    return httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def files_of(report: SeedReport) -> Counter[str]:
    """How many record sources hold a file on each person."""
    held: Counter[str] = Counter()
    for source in report.sources:
        engine = writer_engine(source.database_url)
        # a source without record files (a mutuality) has no table "files"
        with engine.connect() as connection, suppress(OperationalError):
            held.update(str(n) for n in connection.execute(text("SELECT niss FROM files"))
                        .scalars())
        engine.dispose()
    return held
