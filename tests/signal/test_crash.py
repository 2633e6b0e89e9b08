"""The hub killed (SIGKILL) in the middle of a burst of 10,000 mutations and started again:
every delivery that was due arrives, none is lost, duplicates only with the same event id."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import httpx
import pytest
from sqlalchemy import Engine, insert

from carrefour.auth.services import Scope, create_credentials
from carrefour.directory.files import load_reference_file
from carrefour.directory.repository import integration_values
from carrefour.directory.tables import integrations
from carrefour.signal.tables import subscriptions
from tests.people import niss
from tests.servers import free_port
from tests.signal.conftest import eventually, register_members
from tests.signal.receiver import Receiver

BURST, PERSONS, KILL_AFTER = 10_000, 500, 3_000
SECRET = "crash-test-token-secret-0123456789"


def _prepare(engine: Engine, endpoint: str) -> tuple[str, str, list[str]]:
    members = register_members(engine)
    load_reference_file(engine)
    people = [niss(dt.date(1960, 1, 1) + dt.timedelta(days=n), 21) for n in range(PERSONS)]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(insert(integrations), [integration_values(
            niss=p, institution_id=members["cpas"].id, quality_code=2,
            starts_on=dt.date.today(), ends_on=None, now=now) for p in people])
        connection.execute(insert(subscriptions).values(
            institution_id=members["cpas"].id, mutation_type="address-change",
            endpoint=endpoint, secret="whsec_" + "QUFB" * 8, batch_max=1, active=True,
            created_at=now))
    made = create_credentials(engine, institution_id=members["national-register"].id,
                              scopes=[Scope.PUBLISH])
    return made.client_id, made.client_secret, people


@contextmanager
def _hub(database_url: str, port: int, data_dir: Path, receiver: str
         ) -> Iterator[subprocess.Popen[bytes]]:
    env = dict(os.environ, CARREFOUR_DATABASE_URL=database_url, CARREFOUR_TOKEN_SECRET=SECRET,
               CARREFOUR_DATA_DIR=str(data_dir), CARREFOUR_SIGNAL_LEASE="2",
               CARREFOUR_SIGNAL_POLL="0.1",
               CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS=urlsplit(receiver).netloc)
    process = subprocess.Popen([sys.executable, "-m", "carrefour.cli", "serve", "--port",
                                str(port)], env=env)
    try:
        eventually(lambda: _up(port), timeout=60)  # a supervisor, then its worker, start
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _publish_all(url: str, credentials: tuple[str, str], work: list[tuple[int, str]],
                       accepted: dict[int, str], *, kill: subprocess.Popen[bytes] | None
                       ) -> None:
    """Publish each (serial, niss); accepted[serial] = event id. Kill the hub mid-burst."""
    token = httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": credentials[0],
        "client_secret": credentials[1]}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    queue = list(reversed(work))
    async with aiohttp.ClientSession(url, headers=headers) as session:

        async def publisher() -> None:
            while queue:
                serial, person = queue.pop()
                body = {"type": "address-change", "niss": person, "source_id": f"nr-{serial}",
                        "effective_date": "2024-05-01",
                        "data": {"address": {"street": f"Rue {serial}"}}}
                try:
                    async with session.post("/v1/mutations", json=body) as response:
                        if response.status == 202:
                            accepted[serial] = (await response.json())["event_id"]
                except aiohttp.ClientError:
                    continue  # the hub is down: this one is published again after restart
                if kill is not None and len(accepted) >= KILL_AFTER and kill.poll() is None:
                    os.kill(kill.pid, signal.SIGKILL)
                    kill.wait()

        await asyncio.gather(*(publisher() for _ in range(32)))


@pytest.mark.slow
def test_a_killed_hub_loses_no_delivery(
    engine: Engine, database_url: str, _receivers: dict[str, tuple[Receiver, str]],
    tmp_path: Path,
) -> None:
    receiver, receiver_url = _receivers["a"]
    receiver.reset()
    client_id, client_secret, people = _prepare(engine, f"{receiver_url}/events")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    work = [(serial, people[serial % PERSONS]) for serial in range(BURST)]
    accepted: dict[int, str] = {}
    with _hub(database_url, port, tmp_path, receiver_url) as first:
        asyncio.run(_publish_all(url, (client_id, client_secret), work, accepted, kill=first))
        assert first.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(accepted) < BURST
    before_restart = dict(accepted)
    with _hub(database_url, port, tmp_path, receiver_url):
        missing = [w for w in work if w[0] not in accepted]
        asyncio.run(_publish_all(url, (client_id, client_secret), missing, accepted, kill=None))
        assert len(accepted) == BURST
        expected = set(accepted.values())
        eventually(lambda: expected <= {e["id"] for e in receiver.events()}, timeout=45)
    assert all(accepted[s] == e for s, e in before_restart.items())  # accepted once
    events = receiver.events()
    assert {e["id"] for e in events} == expected  # nothing else arrived
    for headers, _body in receiver.requests:
        assert headers["webhook-id"] in expected
    first_seen: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event["id"] not in first_seen[event["subject"]]:
            first_seen[event["subject"]].append(event["id"])
    assert sum(len(v) for v in first_seen.values()) == BURST
