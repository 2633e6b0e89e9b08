"""A subscriber back after an outage: its first success releases its other pending deliveries
at once, and operators can retry a subscription now (API and CLI)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from carrefour.cli import app as cli
from carrefour.journal.tables import journal_entries
from carrefour.signal.delivery import DeliveryPolicy
from carrefour.signal.tables import deliveries
from tests.people import ALICE, BOB, CAROL
from tests.signal.conftest import FAST, SignalNet, allowing_receivers, eventually
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker

# A worker in the hub whose first retry comes 30 to 60 s after a failure.
SLOW_RETRIES = replace(FAST, backoff_base_seconds=60, backoff_cap_seconds=300)
PROMPTLY = 5.0  # seconds; well under the 30 s of the first retry


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(SLOW_RETRIES, _receivers)


def _attempted(net: SignalNet, count: int) -> bool:
    with net.engine.connect() as connection:
        tries = connection.execute(select(deliveries.c.attempts)).scalars().all()
    return len(tries) == count and all(t >= 1 for t in tries)


def _down_with_backlog(net: SignalNet) -> list[str]:
    """The subscriber fails while ALICE and BOB change; their first attempts fail."""
    net.receiver().failing = True
    published = [net.publish(p).json()["event_id"] for p in (ALICE, BOB)]
    eventually(lambda: _attempted(net, 2))
    return published


@pytest.mark.slow
def test_events_published_after_the_subscriber_returns_arrive_promptly(net: SignalNet) -> None:
    net.subscribe()
    for person in (ALICE, BOB, CAROL):
        net.integrate(person)
    backlog = _down_with_backlog(net)
    net.receiver().failing = False
    new = [net.publish(p).json()["event_id"] for p in (CAROL, ALICE)]

    eventually(lambda: len(net.receiver().events()) == 4, timeout=PROMPTLY)
    arrived = [e["id"] for e in net.receiver().events()]
    assert set(arrived) == {*backlog, *new}
    assert arrived.index(backlog[0]) < arrived.index(new[1])  # ALICE's, in order


@pytest.mark.slow
def test_an_operator_retries_a_subscription_now(net: SignalNet) -> None:
    subscription = net.subscribe()["id"]
    for person in (ALICE, BOB):
        net.integrate(person)
    backlog = _down_with_backlog(net)
    net.receiver().failing = False
    with net.client("cpas") as cpas:
        refused = cpas.post(f"/v1/admin/signal/subscriptions/{subscription}/retry")
    with net.client("operator") as operator:
        unknown = operator.post("/v1/admin/signal/subscriptions/999999/retry")
        retried = operator.post(f"/v1/admin/signal/subscriptions/{subscription}/retry")

    assert refused.status_code == 403
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not-found")
    assert retried.status_code == 200, retried.text
    assert retried.json()["released"] == 2
    eventually(lambda: {e["id"] for e in net.receiver().events()} == set(backlog),
               timeout=PROMPTLY)
    assert _journaled(net, "admin-retry-now") == [
        ("forbidden", None), ("not-found", "999999"), ("ok: 2 released", str(subscription))]


def _journaled(net: SignalNet, action: str) -> list[tuple[str, str | None]]:
    with net.engine.connect() as connection:
        rows = connection.execute(
            select(journal_entries.c.outcome, journal_entries.c.reference)
            .where(journal_entries.c.action == action).order_by(journal_entries.c.seq)
        ).all()
    return [(r.outcome, r.reference) for r in rows]


BY_HAND = replace(MANUAL, backoff_base_seconds=600)  # a first retry 2.5 to 5 minutes later


class TestByHand:
    @pytest.fixture
    def policy(self, _receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
        return allowing_receivers(BY_HAND, _receivers)  # the test drives the workers

    def test_the_first_success_after_failures_releases_the_rest(self, net: SignalNet) -> None:
        net.subscribe()
        for person in (ALICE, BOB, CAROL):
            net.integrate(person)
        net.receiver().failing = True
        net.publish(ALICE)
        net.publish(BOB)
        clock = Clock()
        run_cycles([worker(net, clock, BY_HAND)])  # both fail: next try minutes later
        net.receiver().failing = False
        net.publish(CAROL)
        clock.catch_up()
        run_cycles([worker(net, clock, BY_HAND)])  # CAROL's succeeds: ALICE's and BOB's are due now
        run_cycles([worker(net, clock, BY_HAND)])

        assert len(net.receiver().events()) == 3

    def test_the_cli_retries_a_subscription_now(self, net: SignalNet, database_url: str
                                                 ) -> None:
        subscription = net.subscribe()["id"]
        net.integrate(ALICE)
        net.receiver().failing = True
        net.publish(ALICE)
        clock = Clock()
        run_cycles([worker(net, clock, BY_HAND)])
        net.receiver().failing = False
        run_cycles([worker(net, clock, BY_HAND)])
        waiting = len(net.receiver().events())
        unknown = CliRunner().invoke(cli, ["signal", "retry", "999999",
                                           "--database-url", database_url])
        retried = CliRunner().invoke(cli, ["signal", "retry", str(subscription),
                                           "--database-url", database_url])
        clock.catch_up()
        run_cycles([worker(net, clock, BY_HAND)])

        assert waiting == 0
        assert unknown.exit_code == 1 and "no subscription 999999" in unknown.output
        assert retried.exit_code == 0, retried.output
        assert "1 pending deliverie(s)" in retried.output
        assert len(net.receiver().events()) == 1
        assert [o for o, _ in _journaled(net, "retry-deliveries")] == ["not-found",
                                                                        "ok: 1 released"]
