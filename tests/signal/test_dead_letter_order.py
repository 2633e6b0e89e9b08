"""Per-person order across dead letters and replays: a dead letter holds the later deliveries
of its subscriber and person until it is replayed, and the dead-letter time counts from a
delivery's first attempt."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from carrefour.signal.delivery import DeliveryPolicy
from carrefour.signal.tables import deliveries
from tests.people import ALICE, BOB
from tests.signal.conftest import SignalNet, allowing_receivers
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker

DAY = 86_400


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)  # no worker in the hub: the tests drive them


def _address(street: str) -> dict[str, Any]:
    return {"address": {"street": street, "postal_code": "1000"}}


def _latest_street(events: list[dict[str, Any]], person: str) -> str:
    """What a subscriber keeping the latest value it received holds for ``person``."""
    kept: dict[str, str] = {}
    for event in events:
        kept[event["subject"]] = event["data"]["changes"]["address"]["street"]
    return kept[person]


def _states(net: SignalNet) -> list[tuple[str, int]]:
    with net.engine.connect() as connection:
        rows = connection.execute(
            select(deliveries.c.state, deliveries.c.attempts).order_by(deliveries.c.id)
        ).all()
    return [(r.state, r.attempts) for r in rows]


def _replay(net: SignalNet) -> None:
    with net.client("operator") as client:
        assert client.post("/v1/admin/signal/replay", json={}).status_code == 200


def test_a_subscriber_keeping_the_latest_value_ends_with_the_latest_address(
    net: SignalNet,
) -> None:
    net.subscribe()
    net.integrate(ALICE)
    receiver = net.receiver()
    receiver.failing = True
    net.publish(ALICE, data=_address("Rue Ancienne 1"))
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(DAY + 1)
    run_cycles([worker(net, clock)])  # the old address is a dead letter
    receiver.failing = False
    net.publish(ALICE, data=_address("Rue Nouvelle 2"))
    run_cycles([worker(net, clock)], count=2)
    held = receiver.events()
    _replay(net)
    run_cycles([worker(net, clock)], count=3)

    assert held == []  # the newer change waited behind the dead letter
    streets = [e["data"]["changes"]["address"]["street"] for e in receiver.events()]
    assert streets == ["Rue Ancienne 1", "Rue Nouvelle 2"]
    assert _latest_street(receiver.events(), ALICE) == "Rue Nouvelle 2"


def test_a_dead_letter_holds_only_its_own_person(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    net.integrate(BOB)
    receiver = net.receiver()
    receiver.failing = True
    net.publish(ALICE)
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(DAY + 1)
    run_cycles([worker(net, clock)])
    receiver.failing = False
    net.publish(ALICE)
    bob = net.publish(BOB).json()["event_id"]
    run_cycles([worker(net, clock)], count=2)

    assert [e["id"] for e in receiver.events()] == [bob]


def test_a_delivery_queued_behind_a_dead_one_gets_its_full_attempts(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    receiver = net.receiver()
    receiver.failing = True
    net.publish(ALICE)
    net.publish(ALICE)  # queued now, behind the first
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(DAY + 1)
    run_cycles([worker(net, clock)])  # the first dies; the second is still held
    receiver.failing = False
    _replay(net)
    run_cycles([worker(net, clock)])  # the first is delivered
    receiver.failing = True
    run_cycles([worker(net, clock)])  # the second's first attempt, a day after its queuing
    after_first_attempt = _states(net)
    clock.advance(DAY - 60)
    run_cycles([worker(net, clock)])
    a_day_later = _states(net)
    clock.advance(120)
    run_cycles([worker(net, clock)])

    assert after_first_attempt[1] == ("pending", 1)
    assert a_day_later[1][0] == "pending"
    assert _states(net)[1][0] == "dead"
