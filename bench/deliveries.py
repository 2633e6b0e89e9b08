"""Benchmark of the signal function, on loopback only.

1. Throughput: 20,000 deliveries queued in the outbox, one delivery worker (in this process)
   pushing to a local receiver (its own process); deliveries per second, one event per request
   and in CloudEvents batches of 50; then one whole purge pass over the 20,000 settled
   mutations (mutations purged per second). ``--purge-every S`` makes the worker purge every S
   seconds while it drains (default 60, as in production).
2. Latency: the hub (``carrefour serve``, its own process, with its in-process worker) takes
   mutations at 1,000 per second for 10 s; p50/p99 from the publisher's send to the receiver.

``python -m bench.deliveries [--database-url URL]`` (default: a fresh SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, func, insert, select

from bench.machine import describe_machine, load_note

PERSONS, QUEUED = 5_000, 20_000
RECEIVER_PORT, HUB_PORT = 18_901, 18_902
RECEIVER = f"127.0.0.1:{RECEIVER_PORT}"  # plain http on loopback: allow-listed explicitly
TOKEN_SECRET = "bench-token-secret-0123456789abcdef"
SUB_SECRET = "whsec_" + "QUFB" * 8


# --- the receiver (its own process) -----------------------------------------------------------
def receiver_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    arrived: dict[str, float] = {}  # event id: seconds from the publisher's send (if known)

    async def events(request: Request) -> Response:
        now = time.time()
        document = orjson.loads(await request.body())
        for event in document if isinstance(document, list) else [document]:
            sent = event["data"]["changes"]["address"].get("sent_at", now)
            arrived.setdefault(event["id"], now - sent)
        return Response(status_code=204)

    async def stats(_request: Request) -> Response:
        return JSONResponse(list(arrived.values()))

    async def count(_request: Request) -> Response:
        return JSONResponse(len(arrived))

    async def reset(_request: Request) -> Response:
        arrived.clear()
        return Response(status_code=204)

    return Starlette(routes=[Route("/events", events, methods=["POST"]),
                             Route("/stats", stats), Route("/count", count),
                             Route("/reset", reset, methods=["POST"])])


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    code = ("import uvicorn; from bench.deliveries import receiver_app; "
            f"uvicorn.run(receiver_app(), port={port}, log_level='warning', loop='uvloop', "
            "http='httptools', access_log=False)")
    return subprocess.Popen([sys.executable, "-c", code])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# --- setup ------------------------------------------------------------------------------------
def prepare(engine: Engine, endpoint: str, batch_max: int) -> tuple[int, list[str]]:
    """Members, persons integrated at the CPAS, one subscription; the publisher's id."""
    from tests.people import niss
    from tests.signal.conftest import register_members

    from carrefour.db import metadata
    from carrefour.directory.files import load_reference_file
    from carrefour.directory.repository import integration_values
    from carrefour.directory.tables import integrations
    from carrefour.signal.tables import subscriptions
    from carrefour.tables import load_all_tables

    load_all_tables()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    members = register_members(engine)
    load_reference_file(engine)
    people = [niss(dt.date(1950, 1, 1) + dt.timedelta(days=n), 31) for n in range(PERSONS)]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(insert(integrations), [integration_values(
            niss=p, institution_id=members["cpas"].id, quality_code=2,
            starts_on=dt.date.today(), ends_on=None, now=now) for p in people])
        connection.execute(insert(subscriptions).values(
            institution_id=members["cpas"].id, mutation_type="address-change",
            endpoint=endpoint, secret=SUB_SECRET, batch_max=batch_max, active=True,
            created_at=now))
    return members["national-register"].id, people


def queue(engine: Engine, people: list[str], count: int) -> None:
    """``count`` mutations stored with their outbox rows, as the intake stores them."""
    from carrefour.directory.cache import load_snapshot
    from carrefour.journal.recorded import Act, Stamp
    from carrefour.signal.domain import Mutation, default_mutation_types
    from carrefour.signal.repository import Intake, store_intakes

    snapshot = load_snapshot(engine)
    source = next(i for i in snapshot.institutions.values() if i.kind == "national-register")
    kind = default_mutation_types().get("address-change")
    act = Act(channel="rest", action="publish-mutation", client=source.cbe, end_user_id=None,
              end_user_role=None, service=kind.type, niss=None)
    for start in range(0, count, 500):
        intakes = [Intake(kind=kind, source=source, stamp=Stamp(act), mutation=Mutation(
            type=kind.type, niss=people[n % len(people)], source_ref=f"bench-{n}",
            effective_on=dt.date.today(), data={"address": {"street": f"Rue {n}"}}))
            for n in range(start, min(start + 500, count))]
        with engine.begin() as connection:
            store_intakes(connection, intakes, snapshot=snapshot, today=dt.date.today(),
                          now=dt.datetime.now(dt.UTC))


# --- 1. throughput ----------------------------------------------------------------------------
async def drain(engine: Engine, total: int, purge_every: float) -> float:
    from carrefour.directory.cache import ReferenceCache
    from carrefour.signal.delivery import DeliveryPolicy, DeliveryWorker
    from carrefour.signal.domain import default_mutation_types
    from carrefour.signal.endpoints import AllowList
    from carrefour.signal.tables import deliveries

    worker = DeliveryWorker(
        engine=engine, reference_cache=ReferenceCache(engine), types=default_mutation_types(),
        policy=DeliveryPolicy(poll_seconds=0.02, allowed_endpoints=AllowList.parse(RECEIVER),
                              purge_every_seconds=purge_every),
    )
    started = time.perf_counter()
    await worker.start()
    try:
        while True:
            await asyncio.sleep(0.1)
            with engine.connect() as connection:
                done = connection.execute(select(func.count()).select_from(deliveries).where(
                    deliveries.c.state == "delivered")).scalar_one()
            if done >= total:
                return time.perf_counter() - started
    finally:
        await worker.stop()


def throughput(url: str, receiver: str, batch_max: int, purge_every: float, data_dir: Path
               ) -> tuple[float, float]:
    """Deliveries per second, and mutations purged per second afterwards (one whole pass)."""
    from carrefour.config import JournalSettings
    from carrefour.db import build_engine
    from carrefour.journal.keys import chain_key, use_key
    from carrefour.signal.retention import purge_payloads

    engine = build_engine(url)
    # what this phase journals is linked with the key of the run's folder, as the hub's is
    use_key(engine, chain_key(JournalSettings.in_folder(data_dir), create=True))
    try:
        _, people = prepare(engine, f"{receiver}/events", batch_max)
        queue(engine, people, QUEUED)
        seconds = asyncio.run(drain(engine, QUEUED, purge_every))
        started = time.perf_counter()
        purge_payloads(engine, now=dt.datetime.now(dt.UTC), retention=dt.timedelta(days=3),
                       batch_size=1_000, client="bench", channel="cli")
        purge_seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return QUEUED / seconds, QUEUED / purge_seconds


# --- 2. latency -------------------------------------------------------------------------------
async def publish_at(hub: str, token: str, people: list[str], rate: int, seconds: int) -> int:
    """Publish at ``rate`` per second on a fixed timetable (aiohttp: a lighter client than
    httpx); each mutation carries its departure time, which the receiver subtracts.

    Up to 512 requests in flight, as many sources publishing at once: with 128 the timetable
    slipped whenever an intake's round trip passed 128 ms (128 / 0.128 s = 1,000/s), so the
    rate held measured the publisher's window as much as the hub (PostgreSQL, 2026-12-07:
    658-862/s held with 128, 961/s with 512, same code)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    accepted = 0
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(hub, connector=connector, headers=headers) as session:

        async def one(n: int) -> None:
            nonlocal accepted
            body = {"type": "address-change", "niss": people[n % len(people)],
                    "source_id": f"lat-{n}", "effective_date": "2024-05-01",
                    "data": {"address": {"street": f"Rue {n}", "sent_at": time.time()}}}
            async with session.post("/v1/mutations", data=orjson.dumps(body)) as response:
                await response.read()
                accepted += response.status == 202

        tasks = []
        begin = time.perf_counter()
        for n in range(rate * seconds):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return accepted


def latency(url: str, receiver: str, port: int, data_dir: Path) -> dict[str, float]:
    from carrefour.auth.services import Scope, create_credentials
    from carrefour.db import build_engine

    engine = build_engine(url)
    source_id, people = prepare(engine, f"{receiver}/events", 1)
    made = create_credentials(engine, institution_id=source_id, scopes=[Scope.PUBLISH])
    engine.dispose()
    env = dict(os.environ, CARREFOUR_DATABASE_URL=url, CARREFOUR_TOKEN_SECRET=TOKEN_SECRET,
               CARREFOUR_DATA_DIR=str(data_dir), CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS=RECEIVER)
    hub = subprocess.Popen([sys.executable, "-m", "carrefour.cli", "serve", "--port",
                            str(port)], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/health")
        token = httpx.post(f"{base}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": made.client_id,
            "client_secret": made.client_secret}).json()["access_token"]
        started = time.perf_counter()
        sent = asyncio.run(publish_at(base, token, people, 1000, 10))
        intake_rate = sent / (time.perf_counter() - started)
        for _ in range(300):
            if httpx.get(f"{receiver}/count").json() >= sent:
                break
            time.sleep(0.1)
        waits = sorted(httpx.get(f"{receiver}/stats").json())
    finally:
        hub.terminate()
        hub.wait(timeout=20)
    return {"intake_per_s": intake_rate, "delivered": len(waits), "sent": sent,
            "p50": waits[len(waits) // 2], "p99": waits[int(len(waits) * 0.99) - 1],
            "max": waits[-1], "mean": statistics.fmean(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--purge-every", type=float, default=60.0,
                        help="seconds between the worker's purges while it drains (default 60)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="carrefour-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'hub.sqlite3'}"
    receiver_port, hub_port = RECEIVER_PORT, HUB_PORT
    receiver = f"http://{RECEIVER}"
    process = start_receiver(receiver_port)
    try:
        wait_up(f"{receiver}/count")
        print(describe_machine(Path.cwd()).summary(), "—", url.split(":")[0], "—", load_note())
        for batch in (1, 50):
            httpx.post(f"{receiver}/reset")
            rate, purged = throughput(url, receiver, batch, args.purge_every, folder)
            print(f"throughput, {batch} event(s) per request: {rate:,.0f} deliveries/s; "
                  f"then purged {purged:,.0f} mutations/s")
        if not args.skip_latency:
            httpx.post(f"{receiver}/reset")
            result = latency(url, receiver, hub_port, folder)
            print("latency at 1,000 mutations/s for 10 s: " + ", ".join(
                f"{k} {v:.3f}" for k, v in result.items()))
    finally:
        process.terminate()
        process.wait(timeout=10)



if __name__ == "__main__":
    main()
