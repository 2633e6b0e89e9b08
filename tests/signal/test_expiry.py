"""Institutions are told when their integrations expire (when they subscribed to it)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import insert

from carrefour.directory.repository import integration_values
from carrefour.directory.tables import integrations
from carrefour.signal.delivery import DeliveryPolicy
from tests.people import ALICE, BOB
from tests.signal.conftest import SignalNet, allowing_receivers
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)


def _file(net: SignalNet, niss: str, ends_on: dt.date) -> None:
    with net.engine.begin() as connection:
        connection.execute(insert(integrations).values(integration_values(
            niss=niss, institution_id=net.institutions["cpas"].id, quality_code=2,
            starts_on=ends_on - dt.timedelta(days=100), ends_on=ends_on,
            now=dt.datetime.now(dt.UTC))))


def test_an_expired_integration_is_told_to_its_institution_once(net: SignalNet) -> None:
    net.subscribe(type="integration-expired")
    _file(net, ALICE, dt.date.today() - dt.timedelta(days=1))
    _file(net, BOB, dt.date.today() + dt.timedelta(days=30))  # still running
    clock = Clock()
    assert asyncio.run(worker(net, clock).notice_expiries()) == 1
    assert asyncio.run(worker(net, clock).notice_expiries()) == 0
    clock.advance(1)
    run_cycles([worker(net, clock)])
    (event,) = net.receiver().events()
    assert event["type"] == "be.carrefour.mutation.integration-expired"
    assert event["subject"] == ALICE
    assert event["data"]["changes"]["quality_code"] == 2

