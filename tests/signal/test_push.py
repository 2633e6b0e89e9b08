"""Mutations are pushed to the subscribers entitled to them: CloudEvents, signed per Standard
Webhooks, only while the subscriber has a file on the person, only the granted fields."""

from __future__ import annotations

from sqlalchemy import select

from carrefour.journal.services import by_reference
from carrefour.journal.tables import journal_entries
from carrefour.signal.webhooks import verify
from tests.people import ALICE, BOB, CAROL
from tests.signal.conftest import SignalNet, eventually


def test_a_subscriber_with_a_file_receives_the_mutation_signed(net: SignalNet) -> None:
    subscription = net.subscribe()
    assert subscription["secret"].startswith("whsec_")
    net.integrate(ALICE)
    published = net.publish(ALICE).json()
    receiver = net.receiver()
    eventually(lambda: len(receiver.requests) == 1)
    headers, body = receiver.requests[0]
    verify(subscription["secret"], body, headers)
    assert headers["webhook-id"] == published["event_id"]
    assert headers["content-type"] == "application/cloudevents+json"
    (event,) = receiver.events()
    assert event["specversion"] == "1.0"
    assert event["id"] == published["event_id"]
    assert event["type"] == "be.carrefour.mutation.address-change"
    assert event["subject"] == ALICE
    assert event["ticket"] == published["ticket"]
    assert event["data"]["changes"] == {"address": {"street": "Rue Haute 1",
                                                    "postal_code": "1000"}}
    assert event["deliberation"] == "CSI/12/001"


def test_a_signature_with_another_secret_does_not_verify(net: SignalNet) -> None:
    import pytest
    from standardwebhooks.webhooks import WebhookVerificationError

    net.subscribe()
    net.integrate(ALICE)
    net.publish(ALICE)
    receiver = net.receiver()
    eventually(lambda: len(receiver.requests) == 1)
    headers, body = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "A" * 32, body, headers)


def test_no_file_on_the_person_no_delivery(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    assert net.publish(CAROL).json()["deliveries"] == 0
    net.publish(ALICE)
    eventually(lambda: len(net.receiver().requests) == 1)
    assert [e["subject"] for e in net.receiver().events()] == [ALICE]


def test_only_the_fields_the_deliberation_grants_leave_the_hub(net: SignalNet) -> None:
    net.subscribe(type="family-composition-change")
    net.integrate(ALICE, code=8)  # services: no deliberation grants the household
    net.integrate(BOB, code=2)
    data = {"household_id": "H-1", "members": [ALICE, BOB]}
    assert net.publish(ALICE, "family-composition-change", data=data).json()["deliveries"] == 0
    assert net.publish(BOB, "family-composition-change", data=data).json()["deliveries"] == 1
    eventually(lambda: len(net.receiver().requests) == 1)
    (event,) = net.receiver().events()
    assert event["data"]["changes"] == data
    assert event["qualitycode"] == 2


def test_other_subscribers_and_other_types_are_kept_apart(net: SignalNet) -> None:
    net.subscribe("cpas", receiver="a")
    net.subscribe("other-cpas", receiver="b", type="death")
    net.integrate(ALICE, who="cpas")
    net.integrate(ALICE, who="other-cpas")
    net.publish(ALICE)
    net.publish(ALICE, "death", data={"death_date": "2024-05-01"})
    eventually(lambda: len(net.receiver("a").requests) == 1
               and len(net.receiver("b").requests) == 1)
    assert [e["type"][-14:] for e in net.receiver("a").events()] == ["address-change"]
    assert [e["data"]["changes"] for e in net.receiver("b").events()] == [
        {"death_date": "2024-05-01"}]


def test_an_ended_integration_stops_deliveries(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    with net.client("cpas") as client:
        ended = client.delete(f"/v1/integrations/{ALICE}/2",
                              params={"end_user_id": "sw", "end_user_role": "social-worker"})
    assert ended.status_code == 200, ended.text
    assert net.publish(ALICE).json()["deliveries"] == 0


def test_every_delivery_attempt_is_journaled_with_its_ticket(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    published = net.publish(ALICE).json()
    eventually(lambda: len(net.receiver().requests) == 1)

    def journaled() -> list[tuple[str, str, str]]:
        with net.engine.connect() as connection:
            rows = connection.execute(
                select(journal_entries.c.ticket, journal_entries.c.outcome,
                       journal_entries.c.reference)
                .where(journal_entries.c.action == "deliver-mutation")
            ).all()
        return [tuple(r) for r in rows]

    eventually(lambda: len(journaled()) == 1)
    ((ticket, outcome, event_id),) = journaled()
    assert outcome == "ok" and event_id == published["event_id"]
    assert ticket and ticket != published["ticket"]


def test_the_intake_and_the_deliveries_of_a_mutation_share_its_event_id(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    published = net.publish(ALICE).json()
    eventually(lambda: len(by_reference(net.engine, published["event_id"])) == 3)

    intake, sending, delivery = by_reference(net.engine, published["event_id"])

    assert (intake.entry.action, intake.entry.ticket) == ("publish-mutation", published["ticket"])
    assert (sending.entry.action, sending.entry.outcome) == ("send-mutation", "claimed: attempt 1")
    assert (delivery.entry.action, delivery.entry.niss) == ("deliver-mutation", ALICE)
    assert delivery.entry.end_user_id is None
    assert by_reference(net.engine, "an-event-nobody-published") == []


def test_an_operator_traces_a_mutation_by_its_event_id(net: SignalNet) -> None:
    net.subscribe()
    net.integrate(ALICE)
    published = net.publish(ALICE).json()
    eventually(lambda: len(by_reference(net.engine, published["event_id"])) == 3)

    with net.client("operator") as operator:
        traced = operator.get(f"/v1/admin/journal/events/{published['event_id']}")
        unknown = operator.get("/v1/admin/journal/events/an-event-nobody-published")
    with net.client("cpas") as cpas:
        refused = cpas.get(f"/v1/admin/journal/events/{published['event_id']}")

    assert traced.status_code == 200, traced.text
    assert [e["action"] for e in traced.json()] == [
        "publish-mutation", "send-mutation", "deliver-mutation"]
    assert {e["reference"] for e in traced.json()} == {published["event_id"]}
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not-found")
    assert refused.status_code == 403


def test_batched_subscriptions_get_cloudevents_batches(net: SignalNet) -> None:
    net.subscribe(batch_max=50)
    people = [ALICE, BOB, CAROL]
    for person in people:
        net.integrate(person)
    for person in people:
        net.publish(person)
    eventually(lambda: len(net.receiver().events()) == 3)
    assert all(h["content-type"] == "application/cloudevents-batch+json"
               for h, _ in net.receiver().requests)
    assert sorted(e["subject"] for e in net.receiver().events()) == sorted(people)
