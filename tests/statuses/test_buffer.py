"""The status buffer: re-sent and reordered mutations leave it as if each had arrived once, in
order of effective date; it is consulted like any service, person or household."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from sqlalchemy import Engine, select

from carrefour.exchange.services import SEARCH_RESULT
from carrefour.journal.tables import journal_entries
from carrefour.statuses import repository
from carrefour.statuses.domain import status_version
from carrefour.statuses.tables import statuses
from tests.people import ALICE, BOB, CAROL
from tests.statuses.conftest import StatusNet

D1, D2, D3, D4 = (dt.date(2024, 1, d) for d in (10, 20, 25, 30))
VERSIONS = [  # (effective date, data) of one RIS record of the SPP IS, and of a BIM record
    (D1, {"status": "ris", "event_id": "A036-1", "action": "set", "start": "2024-01-01"}),
    (D2, {"status": "ris", "event_id": "A036-1", "action": "set", "start": "2024-01-05",
          "end": "2024-12-31"}),  # a correction of the period
    (D3, {"status": "ris", "event_id": "A036-1", "action": "end", "start": "2024-01-05",
          "end": "2024-06-30"}),
    (D1, {"status": "bim", "event_id": "BIM-7", "action": "set", "start": "2023-01-01"}),
    (D4, {"status": "bim", "event_id": "BIM-7", "action": "cancel", "start": "2023-01-01"}),
]


def _state(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(select(
            statuses.c.event_id, statuses.c.status, statuses.c.starts_on, statuses.c.ends_on,
            statuses.c.cancelled).order_by(statuses.c.event_id)).all()
    return [tuple(r) for r in rows]


def _apply(engine: Engine, order: list[int]) -> None:
    with engine.begin() as connection:
        for index in order:
            effective, data = VERSIONS[index]
            version = status_version(niss=ALICE, data=data, effective_on=effective,
                                     source_ref=f"m-{index}")
            repository.apply_version(connection, "0209001247", version)


EXPECTED = [("A036-1", "ris", dt.date(2024, 1, 5), dt.date(2024, 6, 30), False),
            ("BIM-7", "bim", dt.date(2023, 1, 1), None, True)]


def test_every_order_and_duplicate_leaves_the_buffer_as_in_date_order(engine: Engine) -> None:
    rng = random.Random(11)
    orders = [list(p) for p in itertools.permutations(range(len(VERSIONS)))]
    for order in [*rng.sample(orders, 12), list(range(len(VERSIONS)))]:
        with engine.begin() as connection:
            connection.execute(statuses.delete())
        _apply(engine, order + rng.sample(order, 3))  # some sent twice
        assert _state(engine) == EXPECTED, order


def test_reordered_and_resent_mutations_over_http(net: StatusNet) -> None:
    order = [2, 0, 4, 1, 3]
    for index in order:
        effective, data = VERSIONS[index]
        response = net.status(ALICE, **_kwargs(data), effective=effective,
                              source_id=f"spp-{index}")
        assert response.status_code == 202, response.text
    effective, data = VERSIONS[1]
    again = net.status(ALICE, **_kwargs(data), effective=effective, source_id="spp-1")
    assert again.json()["duplicate"] is True
    # the same version under a new source id (a re-sent message) changes nothing either
    assert net.status(ALICE, **_kwargs(data), effective=effective).status_code == 202
    assert _state(net.engine) == EXPECTED


def _kwargs(data: dict[str, str]) -> dict[str, str | None]:
    return {"status": data["status"], "event_id": data["event_id"], "action": data["action"],
            "start": data["start"], "end": data.get("end"),
            "who": "spp-is" if data["status"] == "ris" else "mutuality"}


def test_bad_status_mutations_are_refused_and_nothing_is_stored(net: StatusNet) -> None:
    bad = [
        {"status": "lottery", "event_id": "x", "action": "set", "start": "2024-01-01"},
        {"status": "ris", "event_id": "x", "action": "replace", "start": "2024-01-01"},
        {"status": "ris", "event_id": "x", "action": "set", "start": "2024-13-01"},
        {"status": "ris", "event_id": "x", "action": "set", "start": "2024-05-01",
         "end": "2024-04-01"},
        {"status": "ris", "event_id": "x", "action": "end", "start": "2024-05-01"},
        {"status": "ris", "event_id": " ", "action": "set", "start": "2024-05-01"},
    ]
    for data in bad:
        response = net.publish(ALICE, "social-status", data, who="spp-is")
        assert response.status_code == 422, data
        assert response.json()["code"] == "invalid-input"
    members = {"household_id": "H", "members": ["12345678901"]}
    assert net.publish(ALICE, "family-composition-change", members,
                       who="national-register").status_code == 422
    assert _state(net.engine) == []


def test_a_source_of_another_kind_cannot_publish_statuses(net: StatusNet) -> None:
    response = net.status(ALICE, "ris", "e-1", who="national-register")
    assert response.status_code == 403
    assert _state(net.engine) == []


def test_the_statuses_of_a_person_and_of_the_household_on_a_date(net: StatusNet) -> None:
    net.household("M-1", [ALICE, BOB])
    net.household("M-2", [CAROL])
    net.status(ALICE, "ris", "A-1", start="2024-01-01", end="2024-12-31")
    net.status(BOB, "bim", "B-1", who="mutuality", start="2023-01-01")
    net.status(CAROL, "bim", "C-1", who="mutuality", start="2023-01-01")
    net.integrate(ALICE)
    alone = net.consult("harmonised-statuses", ALICE, date="2024-06-01")
    assert alone.status_code == 200, alone.text
    assert [(s["niss"], s["status"]) for s in alone.json()["data"]["statuses"]] == [
        (ALICE, "ris")]
    item = alone.json()["data"]["statuses"][0]
    assert item["source"] == net.institutions["spp-is"].cbe and item["event_id"] == "A-1"
    both = net.consult("harmonised-statuses", ALICE, date="2024-06-01", scope="household")
    assert sorted((s["niss"], s["status"]) for s in both.json()["data"]["statuses"]) == [
        (BOB, "bim"), (ALICE, "ris")]
    later = net.consult("harmonised-statuses", ALICE, date="2025-02-01", scope="household")
    assert [s["status"] for s in later.json()["data"]["statuses"]] == ["bim"]
    # journaled under the person asked about, and under each other member the answer names
    assert _named(net.engine, alone.json()["ticket"]) == []
    assert _named(net.engine, both.json()["ticket"]) == [BOB]


def _named(engine: Engine, ticket: str) -> list[str]:
    """The persons other than the one asked about whose data an answer held (their entries)."""
    with engine.connect() as connection:
        return list(connection.execute(select(journal_entries.c.niss).where(
            journal_entries.c.reference == ticket,
            journal_entries.c.action == SEARCH_RESULT)).scalars())


def test_no_file_on_the_person_no_statuses(net: StatusNet) -> None:
    net.status(ALICE, "ris", "A-1")
    response = net.consult("harmonised-statuses", ALICE)
    assert response.status_code == 403
    assert response.json()["code"] == "not-integrated"
