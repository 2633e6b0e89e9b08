"""A delivery worker that dies between sending and recording (its process ends at the record
step, the way a ``kill -9`` would leave it): the journal still shows at least every
transmission the receiver saw, because each attempt is journaled when it is claimed."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from carrefour.journal.tables import journal_entries
from carrefour.signal.delivery import DeliveryPolicy
from tests.people import ALICE, BOB, CAROL
from tests.signal.conftest import SignalNet, allowing_receivers
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker

DIES_AT_RECORD = 17
# A worker process whose record step ends the process at once (nothing flushed, no cleanup).
CRASHING_WORKER = f"""
import asyncio, os, sys
from carrefour.db import build_engine
from carrefour.directory.cache import ReferenceCache
from carrefour.signal import delivery
from carrefour.signal.domain import default_mutation_types

delivery.record_attempts = lambda *args, **kwargs: os._exit({DIES_AT_RECORD})
engine = build_engine(sys.argv[1])
worker = delivery.DeliveryWorker(
    engine=engine, reference_cache=ReferenceCache(engine), types=default_mutation_types(),
    policy=delivery.DeliveryPolicy.from_env())


async def main() -> None:
    await worker.open()
    await worker.run_once()


asyncio.run(main())
"""


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)  # no worker in the hub


def _transmissions_journaled(net: SignalNet) -> int:
    with net.engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).where(journal_entries.c.action == "send-mutation")
        ).scalar_one())


def _crashing_worker(net: SignalNet, database_url: str) -> int:
    allowed = " ".join(urlsplit(url).netloc for _, url in net.receivers.values())
    env = dict(os.environ, CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS=allowed)
    done = subprocess.run([sys.executable, "-c", CRASHING_WORKER, database_url], env=env,
                          timeout=60, check=False)
    return done.returncode


def test_a_crash_between_send_and_record_leaves_no_transmission_unjournaled(
    net: SignalNet, database_url: str
) -> None:
    net.subscribe()
    people = (ALICE, BOB, CAROL)
    for person in people:
        net.integrate(person)
        net.publish(person)

    assert _crashing_worker(net, database_url) == DIES_AT_RECORD
    seen_before_restart = len(net.receiver().requests)
    journaled_before_restart = _transmissions_journaled(net)
    clock = Clock()
    clock.advance(MANUAL.lease_seconds + 1)  # the dead worker's lease is over
    run_cycles([worker(net, clock)])

    assert seen_before_restart == 3
    assert journaled_before_restart >= seen_before_restart
    assert len(net.receiver().requests) == 6  # sent again: at-least-once
    assert _transmissions_journaled(net) >= len(net.receiver().requests)
