"""The hub keeps a mutation's payload only while a delivery still needs it: purged once every
delivery is acknowledged, cancelled or dead past the retention; the references and the journal
stay, and a duplicate is still recognised."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from carrefour.cli import app as cli
from carrefour.journal.services import by_ticket
from carrefour.journal.tables import journal_entries
from carrefour.signal.delivery import DeliveryPolicy
from carrefour.signal.retention import purge_payloads
from carrefour.signal.tables import deliveries, mutations
from tests.people import ALICE, BOB, CAROL, niss
from tests.signal.conftest import FAST, SignalNet, allowing_receivers, eventually
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker

runner = CliRunner()
RETENTION = MANUAL.retention_seconds


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)  # the tests drive the workers


def _mutation(net: SignalNet, event_id: str) -> dict[str, Any]:
    with net.engine.connect() as connection:
        row = connection.execute(
            select(mutations).where(mutations.c.event_id == event_id)).mappings().one()
        kept = connection.execute(
            select(deliveries.c.data).where(deliveries.c.mutation_id == row["id"])).scalars()
        return {**row, "deliveries": list(kept)}


def _purge(net: SignalNet, clock: Clock) -> int:
    return asyncio.run(worker(net, clock).purge()).purged


def test_after_acknowledgement_the_payloads_are_gone_and_the_journal_still_traces_them(
    net: SignalNet, database_url: str
) -> None:
    net.subscribe()
    net.integrate(ALICE)
    published = net.publish(ALICE, source_id="nr-77").json()
    before = _mutation(net, published["event_id"])
    assert before["data"] and before["deliveries"][0] and before["purged_at"] is None
    run_cycles([worker(net, Clock())])
    assert len(net.receiver().events()) == 1

    purged = runner.invoke(cli, ["signal", "purge", "--database-url", database_url])

    assert purged.exit_code == 0 and "1 mutation(s) purged" in purged.output, purged.output
    after = _mutation(net, published["event_id"])
    assert after["data"] is None and after["deliveries"] == [None]
    assert after["purged_at"] is not None
    assert (after["event_id"], after["ticket"], after["source_ref"], after["niss"]) == (
        published["event_id"], published["ticket"], "nr-77", ALICE)
    trace = runner.invoke(cli, ["journal", "trace", published["event_id"],
                                "--database-url", database_url], env={"COLUMNS": "200"})
    assert trace.exit_code == 0, trace.output
    assert trace.output.index("publish-mutation") < trace.output.index("deliver-mutation")
    verified = runner.invoke(cli, ["journal", "verify", "--database-url", database_url])
    assert verified.exit_code == 0, verified.output
    with net.engine.connect() as connection:
        outcomes = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.action == "purge-payloads")).scalars().all()
    assert outcomes == ["ok: 1 purged"]


def test_a_payload_stays_while_one_of_its_deliveries_is_still_due(net: SignalNet) -> None:
    net.subscribe("cpas", receiver="a")
    net.subscribe("other-cpas", receiver="b")
    net.integrate(ALICE, who="cpas")
    net.integrate(ALICE, who="other-cpas")
    event_id = net.publish(ALICE).json()["event_id"]
    net.receiver("b").failing = True
    clock = Clock()
    run_cycles([worker(net, clock)])
    assert _purge(net, clock) == 0
    assert _mutation(net, event_id)["data"] is not None
    net.receiver("b").failing = False
    clock.advance(2)
    run_cycles([worker(net, clock)])
    assert _purge(net, clock) == 1
    assert _mutation(net, event_id)["deliveries"] == [None, None]


def test_a_dead_letter_keeps_its_payload_until_the_retention_passes(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    event_id = net.publish(ALICE).json()["event_id"]
    net.receiver().failing = True
    clock = Clock()
    run_cycles([worker(net, clock)])
    clock.advance(86_401)
    run_cycles([worker(net, clock)])  # dead now
    clock.advance(RETENTION - 60)
    assert _purge(net, clock) == 0
    assert _mutation(net, event_id)["deliveries"][0] is not None
    clock.advance(61)
    assert _purge(net, clock) == 1
    assert _mutation(net, event_id)["deliveries"] == [None]
    with net.client("operator") as client:
        assert client.get("/v1/admin/signal/dead-letters").json() == []
        backlog = client.get("/v1/admin/signal/backlog").json()
        assert [(b["state"], b["count"]) for b in backlog] == [("dead", 1)]  # the reference
        with net.engine.connect() as connection:
            (dead_id,) = connection.execute(select(deliveries.c.id)).scalars()
        refused = client.post("/v1/admin/signal/replay", json={"ids": [dead_id]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "dead-letter-purged"
    entry = by_ticket(net.engine, refused.json()["ticket"])
    assert entry is not None and entry.entry.outcome == "dead-letter-purged"


def test_a_dead_letter_replayed_within_the_retention_is_delivered_then_purged(
    net: SignalNet,
) -> None:
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
        assert client.post("/v1/admin/signal/replay", json={}).json()["queued"] == 1
    assert _purge(net, clock) == 0  # queued again: needed
    run_cycles([worker(net, clock)])
    assert len(net.receiver().events()) == 1
    assert _purge(net, clock) == 1


def test_a_duplicate_publication_after_the_purge_is_still_recognised(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    first = net.publish(ALICE, source_id="nr-2024-0042").json()
    run_cycles([worker(net, Clock())])
    assert _purge(net, Clock()) == 1
    again = net.publish(ALICE, source_id="nr-2024-0042").json()
    assert again["duplicate"] is True and again["event_id"] == first["event_id"]
    run_cycles([worker(net, Clock())])
    assert len(net.receiver().events()) == 1


def test_a_mutation_without_recipient_stores_no_payload_and_is_still_a_duplicate_again(
    net: SignalNet,
) -> None:
    first = net.publish(CAROL, source_id="nr-no-one").json()
    assert first["deliveries"] == 0
    stored = _mutation(net, first["event_id"])
    assert stored["data"] is None and stored["purged_at"] is not None
    again = net.publish(CAROL, source_id="nr-no-one").json()
    assert again["duplicate"] is True and again["event_id"] == first["event_id"]


def test_pull_feed_events_are_purged_once_acknowledged(net: SignalNet) -> None:
    net.subscribe(receiver=None)
    net.integrate(ALICE)
    event_id = net.publish(ALICE).json()["event_id"]
    with net.client("cpas") as client:
        page = client.get("/v1/feed").json()
        assert [e["id"] for e in page["events"]] == [event_id]
        assert _purge(net, Clock()) == 0  # read, not yet acknowledged
        client.get("/v1/feed", params={"cursor": page["next_cursor"]})
    assert _purge(net, Clock()) == 1
    assert _mutation(net, event_id)["deliveries"] == [None]


def test_the_deliveries_of_an_ended_subscription_are_purged(net: SignalNet) -> None:
    made = net.subscribe(receiver=None)
    net.integrate(ALICE)
    event_id = net.publish(ALICE).json()["event_id"]
    with net.client("cpas") as client:
        client.delete(f"/v1/subscriptions/{made['id']}")
    assert _purge(net, Clock()) == 1
    assert _mutation(net, event_id)["data"] is None


def test_the_purge_goes_in_bounded_batches_and_carries_on_where_it_stopped(
    net: SignalNet,
) -> None:
    net.subscribe(receiver=None)
    people = [niss(dt.date(1981, 1, 1) + dt.timedelta(days=n), 11) for n in range(5)]
    for person in people:
        net.integrate(person)
    for person in people:
        net.publish(person)
    with net.client("cpas") as client:
        client.get("/v1/feed", params={"cursor": 10**6})  # acknowledges everything
    now = dt.datetime.now(dt.UTC)

    def run(after: int) -> tuple[int, int, int]:
        done = purge_payloads(net.engine, now=now, retention=dt.timedelta(0), batch_size=2,
                              client="hub", channel="signal", after=after, max_batches=1)
        return done.purged, done.batches, done.after

    first = run(0)
    assert first[:2] == (2, 1) and first[2] > 0
    second = run(first[2])
    assert second[0] == 2
    assert run(second[2]) == (1, 1, 0)  # the end: the next pass starts over
    assert run(0) == (0, 1, 0)


def test_purging_through_the_api_needs_the_admin_scope_and_is_journaled(net: SignalNet) -> None:
    net.subscribe(receiver=None)
    net.integrate(BOB)
    net.publish(BOB)
    with net.client("cpas") as client:
        client.get("/v1/feed", params={"cursor": 10**6})
        refused = client.post("/v1/admin/signal/purge")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    entry = by_ticket(net.engine, refused.json()["ticket"])
    assert entry is not None
    assert (entry.entry.action, entry.entry.outcome) == ("admin-purge", "forbidden")
    with net.client("operator") as client:
        done = client.post("/v1/admin/signal/purge")
    assert done.status_code == 200, done.text
    assert done.json()["purged"] == 1
    entry = by_ticket(net.engine, done.json()["ticket"])
    assert entry is not None and entry.entry.outcome == "ok"


class TestTheWorkerPurgesByItself:
    @pytest.fixture
    def policy(self, _receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
        return allowing_receivers(replace(FAST, purge_every_seconds=0.05), _receivers)

    def test_a_delivered_payload_is_purged_soon_after(self, net: SignalNet) -> None:
        net.subscribe()
        net.integrate(ALICE)
        event_id = net.publish(ALICE).json()["event_id"]
        eventually(lambda: len(net.receiver().events()) == 1)
        eventually(lambda: _mutation(net, event_id)["purged_at"] is not None)
        assert _mutation(net, event_id)["deliveries"] == [None]
