"""The multifunctional attestation A036: sent by a CPAS through the hub to the SPP IS,
corrected, cancelled, consulted (living-wages, L036) by clients of several kinds, each with its
own fields, and published as `social-status` mutations."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx
from sqlalchemy import select

from carrefour.journal import services as journal
from carrefour.simulation.network import DEMO_CPAS_SLUG, institution
from carrefour.statuses.tables import statuses
from tests.declarations.conftest import DeclarationNetwork

TODAY = dt.date.today()


def _period(start: int = -30, end: int = 300) -> dict[str, str]:
    return {"start": (TODAY + dt.timedelta(days=start)).isoformat(),
            "end": (TODAY + dt.timedelta(days=end)).isoformat()}


def _ris(**period: int) -> dict[str, Any]:
    return {"type": "ris", **_period(**period)}


def _consulted(network: DeclarationNetwork, niss: str, who: str, code: int) -> dict[str, Any]:
    answer = network.consult("living-wages", niss, capacity=code, who=who)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def _status_mutations(network: DeclarationNetwork, niss: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = [r for r in network.mutations(niss) if r.type == "social-status"]
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"expected {count} social-status mutations, got {len(rows)}")


def test_an_a036_sent_corrected_cancelled_and_consulted_by_three_kinds_of_client(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[0]
    network.integrate(niss, 2)
    for who, code in (("stib", 1), ("mc-cm", 1), ("office-etrangers", 1)):
        network.integrate(niss, code, who=who)
    subscribed = network.post("/v1/subscriptions", {"mutation_type": "social-status"}, "mc-cm")
    assert subscribed.status_code == 201, subscribed.text
    sent = network.declare(niss, "RIS-0001", _ris())
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["state"], body["version"], body["duplicate"]) == ("accepted", 1, False)
    assert body["deliberation"] == "CSI/99/036"
    assert body["source"] == institution("spp-is").cbe
    record = journal.by_ticket(network.engine, body["ticket"])
    assert record is not None
    assert (record.entry.action, record.entry.outcome) == ("declare", "accepted")
    assert record.entry.reference == "A036:RIS-0001"
    assert record.entry.sources == (institution("spp-is").cbe,)

    again = network.declare(niss, "RIS-0001", _ris())
    assert again.status_code == 201
    assert (again.json()["duplicate"], again.json()["version"]) == (True, 1)
    assert again.json()["event_id"] == body["event_id"]

    assert _consulted(network, niss, "stib", 1) == {"entitled": True, "end": _period()["end"]}
    mutuality = _consulted(network, niss, "mc-cm", 1)
    assert mutuality == {"entitled": True, "status": "ris", **_period(),
                         "competent_cpas": institution(DEMO_CPAS_SLUG).cbe}
    foreigners = _consulted(network, niss, "office-etrangers", 1)
    assert set(foreigners) == {"entitled", "status", "start", "end", "competent_cpas",
                               "history"}
    assert [h["state"] for h in foreigners["history"]] == ["accepted"]

    corrected = network.correct(niss, "RIS-0001", _ris(end=100))
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["state"], corrected.json()["version"]) == ("corrected", 2)
    assert _consulted(network, niss, "stib", 1) == {"entitled": True,
                                                    "end": _period(end=100)["end"]}

    cancelled = network.cancel(niss, "RIS-0001")
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["state"], cancelled.json()["version"]) == ("cancelled", 3)
    assert network.cancel(niss, "RIS-0001").json()["duplicate"] is True
    assert _consulted(network, niss, "stib", 1) == {"entitled": False, "end": None}
    history = _consulted(network, niss, "office-etrangers", 1)["history"]
    assert [(h["state"], h["version"]) for h in history] == [("cancelled", 3)]

    published = _status_mutations(network, niss, 4)
    event = body["event_id"]
    changes = [(m.source_ref, m.data["event_id"], m.data["action"], m.data["end"])
               for m in published]
    assert changes == [  # each version its own record: the one it replaces withdrawn
        (f"{event}/1", f"{event}/1", "set", _period()["end"]),
        (f"{event}/1/cancel", f"{event}/1", "cancel", _period()["end"]),
        (f"{event}/2", f"{event}/2", "set", _period(end=100)["end"]),
        (f"{event}/2/cancel", f"{event}/2", "cancel", _period(end=100)["end"])]
    assert _buffered(network, niss) == []  # the buffer holds no RIS of a cancelled A036
    _the_mutuality_is_told_with_its_fields(network, niss)


def _buffered(network: DeclarationNetwork, niss: str) -> list[tuple[str, str | None]]:
    """The living wages the hub's buffer holds active on the person, as (status, end)."""
    with network.engine.connect() as connection:
        rows = connection.execute(select(statuses.c.status, statuses.c.ends_on).where(
            statuses.c.niss == niss, statuses.c.status.in_(("ris", "eris")),
            statuses.c.cancelled.is_(False))).all()
    return sorted((status, None if end is None else str(end)) for status, end in rows)


def test_a_correction_that_moves_the_start_earlier_replaces_the_status_it_corrects(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[5]
    network.integrate(niss, 2)
    assert network.declare(niss, "RIS-0005", _ris()).status_code == 201
    earlier = _ris(start=-60)
    assert network.correct(niss, "RIS-0005", earlier).status_code == 200
    _status_mutations(network, niss, 3)
    assert _buffered(network, niss) == [("ris", _period()["end"])]
    with network.engine.connect() as connection:
        starts = connection.execute(select(statuses.c.starts_on).where(
            statuses.c.niss == niss, statuses.c.status == "ris",
            statuses.c.cancelled.is_(False))).scalars().all()
    assert [str(start) for start in starts] == [earlier["start"]]


def _the_mutuality_is_told_with_its_fields(network: DeclarationNetwork, niss: str) -> None:
    """The subscriber gets each change with the fields its deliberation grants (CSI/10/072:
    status and period, not the source's event id nor the action)."""
    deadline, events = time.monotonic() + 10, []
    while time.monotonic() < deadline and len(events) < 4:
        answer = httpx.get(f"{network.url}/v1/feed", timeout=10,
                           headers={"Authorization": f"Bearer {network.tokens['mc-cm']}"})
        assert answer.status_code == 200, answer.text
        events = [e for e in answer.json()["events"] if e["type"].endswith("social-status")]
        time.sleep(0.05)
    assert len(events) == 4, events
    assert {frozenset(e["data"]["changes"]) for e in events} == {
        frozenset({"status", "start", "end"})}
    assert [e["data"]["changes"]["status"] for e in events] == ["ris"] * 4


def test_an_eris_is_declared_from_a_file_of_code_003(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[1]
    network.integrate(niss, 3)
    sent = network.declare(niss, "ERIS-7", {"type": "eris", **_period()}, capacity=3)
    assert sent.status_code == 201, sent.text
    network.integrate(niss, 1, who="mc-cm")
    assert _consulted(network, niss, "mc-cm", 1)["status"] == "eris"
    published = _status_mutations(network, niss, 1)
    assert published[0].source_ref == sent.json()["event_id"] + "/1"
    with network.engine.connect() as connection:  # the hub's buffer took it as ERIS
        kept = connection.execute(select(statuses.c.status).where(
            statuses.c.niss == niss, statuses.c.source_ref == published[0].source_ref)).scalars()
        assert list(kept) == ["eris"]


def test_the_same_reference_with_other_data_is_a_conflict_and_changes_nothing(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[2]
    network.integrate(niss, 2)
    assert network.declare(niss, "RIS-0002", _ris()).status_code == 201
    other = network.declare(niss, "RIS-0002", _ris(end=200))
    assert other.status_code == 409
    assert other.json()["code"] == "declaration-conflict"
    record = journal.by_ticket(network.engine, other.json()["ticket"])
    assert record is not None and record.entry.outcome == "declaration-conflict"
    network.integrate(niss, 1, who="stib")
    assert _consulted(network, niss, "stib", 1)["end"] == _period()["end"]


def test_another_cpas_cannot_correct_or_cancel_an_attestation_it_did_not_send(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[3]
    network.integrate(niss, 2)
    assert network.declare(niss, "RIS-0003", _ris()).status_code == 201
    network.integrate(niss, 2, who="cpas-liege")
    corrected = network.correct(niss, "RIS-0003", _ris(end=10), who="cpas-liege")
    assert corrected.status_code == 404
    assert corrected.json()["code"] == "unknown-declaration"
    assert network.cancel(niss, "RIS-0003", who="cpas-liege").status_code == 404
    other_cpas = _consulted(network, niss, "cpas-liege", 2)
    assert other_cpas["entitled"] is True
    assert other_cpas["cpas_reference"] == "RIS-0003"


def test_a_declaration_service_is_not_a_consultation(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[0]
    answer = network.consult("declare-living-wage", niss, capacity=2, who="cpas")
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown-service"
