"""Subscribers without an endpoint pull their events with a cursor."""

from __future__ import annotations

from tests.people import ALICE, BOB
from tests.signal.conftest import SignalNet


def test_a_pull_subscriber_reads_its_feed_with_a_cursor(net: SignalNet) -> None:
    subscription = net.subscribe(receiver=None)
    assert subscription["mode"] == "pull"
    net.integrate(ALICE)
    net.integrate(BOB)
    first = net.publish(ALICE).json()["event_id"]
    second = net.publish(BOB).json()["event_id"]
    with net.client("cpas") as client:
        page = client.get("/v1/feed", params={"limit": 1}).json()
        assert [e["id"] for e in page["events"]] == [first]
        again = client.get("/v1/feed", params={"limit": 1}).json()
        assert [e["id"] for e in again["events"]] == [first]  # not acknowledged yet
        page = client.get("/v1/feed", params={"cursor": page["next_cursor"]}).json()
        assert [e["id"] for e in page["events"]] == [second]
        last = client.get("/v1/feed", params={"cursor": page["next_cursor"]}).json()
        assert last["events"] == [] and last["next_cursor"] == page["next_cursor"]
    with net.client("other-cpas") as client:
        assert client.get("/v1/feed").json()["events"] == []


def test_subscriptions_are_listed_and_ended(net: SignalNet) -> None:
    made = net.subscribe(receiver=None)
    with net.client("cpas") as client:
        assert [s["id"] for s in client.get("/v1/subscriptions").json()] == [made["id"]]
        assert client.get("/v1/subscriptions").json()[0]["secret"] is None
        assert client.delete(f"/v1/subscriptions/{made['id']}").status_code == 204
        assert client.get("/v1/subscriptions").json() == []
    with net.client("other-cpas") as client:
        refused = client.delete(f"/v1/subscriptions/{made['id']}")
        assert refused.status_code == 404


def test_a_subscription_needs_a_known_type_and_an_http_endpoint(net: SignalNet) -> None:
    with net.client("cpas") as client:
        unknown = client.post("/v1/subscriptions", json={"mutation_type": "lottery-win"})
        assert unknown.json()["code"] == "unknown-mutation-type"
        bad = client.post("/v1/subscriptions",
                          json={"mutation_type": "death", "endpoint": "ftp://x"})
        assert bad.json()["code"] == "invalid-input"
