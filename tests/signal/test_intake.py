"""Sources publish mutations: accepted once, refused with a clear code and journaled, nothing
partial stored."""

from __future__ import annotations

from sqlalchemy import func, select

from carrefour.journal.tables import journal_entries
from carrefour.signal.tables import deliveries, mutations
from tests.people import ALICE, CAROL
from tests.signal.conftest import SignalNet


def _count(net: SignalNet, table: object) -> int:
    with net.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _outcomes(net: SignalNet, action: str) -> list[str]:
    with net.engine.connect() as connection:
        query = select(journal_entries.c.outcome).where(journal_entries.c.action == action)
        return list(connection.execute(query.order_by(journal_entries.c.seq)).scalars())


def test_a_source_publishes_a_mutation_and_gets_a_ticket_and_an_event_id(net: SignalNet) -> None:
    response = net.publish(ALICE)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["ticket"] and body["event_id"] and body["duplicate"] is False
    assert _count(net, mutations) == 1
    assert _outcomes(net, "publish-mutation") == ["ok"]


def test_a_duplicate_source_id_is_accepted_once(net: SignalNet) -> None:
    first = net.publish(ALICE, source_id="nr-2024-0001").json()
    again = net.publish(ALICE, source_id="nr-2024-0001")
    assert again.status_code == 202
    assert again.json()["event_id"] == first["event_id"]
    assert again.json()["duplicate"] is True
    assert _count(net, mutations) == 1
    assert _outcomes(net, "publish-mutation") == ["ok", "duplicate"]


def test_malformed_mutations_are_refused_with_a_code_and_journaled(net: SignalNet) -> None:
    cases = [
        ({"type": "address-change", "niss": "12345678901"}, "invalid-niss"),
        ({"type": "marriage-of-the-year"}, "unknown-mutation-type"),
        ({"data": {"shoe_size": 44}}, "invalid-input"),
        ({"data": {}}, "invalid-input"),
    ]
    for overrides, code in cases:
        body = {"type": "address-change", "niss": ALICE, "source_id": "x-1",
                "effective_date": "2024-05-01", "data": {"address": {"street": "A"}}}
        body.update(overrides)
        with net.client("national-register") as client:
            response = client.post("/v1/mutations", json=body)
        assert response.status_code == 422, (overrides, response.text)
        assert response.json()["code"] == code
        assert response.json()["ticket"]
    with net.client("national-register") as client:
        response = client.post("/v1/mutations", content=b"{not json")
    assert response.json()["code"] == "invalid-input"
    assert _count(net, mutations) == 0
    assert _count(net, deliveries) == 0
    assert _outcomes(net, "publish-mutation") == [
        "invalid-niss", "unknown-mutation-type", "invalid-input", "invalid-input",
        "invalid-input",
    ]


def test_unauthorised_publishers_are_refused_and_journaled(net: SignalNet) -> None:
    without_scope = net.publish(ALICE, who="onem")
    assert without_scope.status_code == 403
    assert without_scope.json()["code"] == "forbidden"
    not_authentic = net.publish(CAROL, "death", who="onss", data={"death_date": "2024-05-01"})
    assert not_authentic.status_code == 403
    assert not_authentic.json()["code"] == "not-authentic-source"
    assert _count(net, mutations) == 0
    assert _outcomes(net, "publish-mutation") == ["forbidden", "not-authentic-source"]


def test_an_unauthenticated_publisher_is_refused(net: SignalNet) -> None:
    import httpx

    response = httpx.post(f"{net.url}/v1/mutations", json={})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
