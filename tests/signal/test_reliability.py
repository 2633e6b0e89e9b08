"""Retries, dead letters, replay, order after an outage, and several workers at once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from typer.testing import CliRunner

from carrefour.cli import app as cli
from carrefour.signal.delivery import DeliveryPolicy
from tests.people import ALICE, BOB, CAROL, niss
from tests.signal.conftest import SignalNet, allowing_receivers
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)  # no worker in the hub: the tests drive them


def _by_person(events: list[dict[str, object]]) -> dict[object, list[object]]:
    found: dict[object, list[object]] = defaultdict(list)
    for event in events:
        found[event["subject"]].append(event["id"])
    return found


def test_a_subscriber_down_for_an_hour_gets_its_backlog_in_order(net: SignalNet) -> None:
    secret = net.subscribe()["secret"]
    people = [ALICE, BOB, CAROL]
    for person in people:
        net.integrate(person)
    published: dict[str, list[str]] = defaultdict(list)
    receiver = net.receiver()
    receiver.failing = True
    clock = Clock()
    for _ in range(10):
        for person in people:
            published[person].append(net.publish(person).json()["event_id"])
        run_cycles([worker(net, clock)])
        clock.advance(360)  # an hour in all: every try fails
    receiver.failing = False
    for _ in range(40):
        run_cycles([worker(net, clock)])
        clock.advance(301)
    assert _by_person(receiver.events()) == published
    assert receiver.verify_all(secret) == 30


def test_a_delivery_failing_past_the_dead_letter_time_is_a_dead_letter_and_replayable(
    net: SignalNet, database_url: str
) -> None:
    net.subscribe()
    net.integrate(ALICE)
    published = net.publish(ALICE).json()
    receiver = net.receiver()
    receiver.failing = True
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(86_401)
    run_cycles([worker(net, clock)])
    with net.client("operator") as client:
        dead = client.get("/v1/admin/signal/dead-letters").json()
        assert [d["event_id"] for d in dead] == [published["event_id"]]
        backlog = client.get("/v1/admin/signal/backlog").json()
        assert [(b["state"], b["count"]) for b in backlog] == [("dead", 1)]
    listed = CliRunner().invoke(cli, ["signal", "dead-letters", "--database-url", database_url])
    assert listed.exit_code == 0 and str(dead[0]["id"]) in listed.output
    receiver.failing = False
    replayed = CliRunner().invoke(cli, ["signal", "replay", "--database-url", database_url])
    assert replayed.exit_code == 0 and "1 dead letter(s) queued again" in replayed.output
    run_cycles([worker(net, clock)])
    assert [e["id"] for e in receiver.events()] == [published["event_id"]]
    shown = CliRunner().invoke(cli, ["signal", "backlog", "--database-url", database_url])
    assert "delivered" in shown.output


def test_replay_through_the_api(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    net.publish(ALICE)
    net.receiver().failing = True
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(86_401)
    run_cycles([worker(net, clock)])
    net.receiver().failing = False
    with net.client("operator") as client:
        replayed = client.post("/v1/admin/signal/replay", json={}).json()
    assert replayed["queued"] == 1 and replayed["ticket"]
    run_cycles([worker(net, clock)])
    assert len(net.receiver().events()) == 1


def test_several_workers_never_send_the_same_delivery_twice(net: SignalNet) -> None:
    net.subscribe()
    people = [niss(dt.date(1980, 1, 1) + dt.timedelta(days=n), 11) for n in range(20)]
    for person in people:
        net.integrate(person)
    published: dict[str, list[str]] = defaultdict(list)
    for _ in range(5):
        for person in people:
            published[person].append(net.publish(person).json()["event_id"])
    clock = Clock()
    workers = [worker(net, clock, name=f"w{n}") for n in range(4)]
    run_cycles(workers, count=8)
    events = net.receiver().events()
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == 100
    assert _by_person(events) == published
