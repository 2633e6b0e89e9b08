"""The STIB's preferential tariff, a derived right of scope person and finality integration:
told only to the STIB that integrated the subscriber (never to another institution of the
kind, never about a person it did not integrate), at the status change or at the
integration, ended when the status ends; its beneficiaries list holds only its own
subscribers; a caller without the deliberation is refused."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import select

from carrefour.journal.chain import verify
from carrefour.signal.tables import deliveries, mutations
from carrefour.statuses import repository
from tests.people import ALICE, BOB, CAROL
from tests.statuses.conftest import StatusNet, eventually, today, yesterday

STIB_TARIFF = "stib-preferential-tariff"
BENEFICIARIES = f"/v1/rights/{STIB_TARIFF}/beneficiaries"


def _subscribe_both_stibs(net: StatusNet) -> None:
    for kind in ("right-granted", "right-ended"):
        net.subscribe("stib", kind, "a")
        net.subscribe("stib-2", kind, "b")


def _told_about(net: StatusNet) -> list[tuple[str, str]]:
    """(type, subject) of every STIB tariff mutation the hub stored."""
    with net.engine.connect() as connection:
        rows = connection.execute(select(mutations.c.type, mutations.c.niss, mutations.c.data)
                                  .order_by(mutations.c.id)).all()
    return [(r.type, r.niss) for r in rows if (r.data or {}).get("right") == STIB_TARIFF]


def _settled(net: StatusNet, receiver: str, count: int) -> list[dict[str, Any]]:
    eventually(lambda: len(net.events(receiver)) >= count)
    time.sleep(0.5)  # and nothing more comes
    return net.events(receiver)


def test_a_status_change_tells_only_the_stib_that_integrated_the_subscriber(
        net: StatusNet) -> None:
    _subscribe_both_stibs(net)
    net.household("M-1", [ALICE, BOB])
    net.household("M-2", [CAROL])
    net.integrate(ALICE, who="stib", code=1)
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    net.status(BOB, "ris", "B-1", start="2024-01-01")  # same household, not a subscriber
    net.status(CAROL, "eris", "C-1", start="2024-01-01")  # nobody's subscriber
    (event,) = _settled(net, "a", 1)
    assert event["type"].endswith("right-granted") and event["subject"] == ALICE
    assert event["qualitycode"] == 1 and event["deliberation"] == "CSI/16/131"
    assert event["data"]["changes"] == {"right": STIB_TARIFF, "members": [ALICE],
                                        "start": today().isoformat()}  # no grounds, no address
    assert net.events("b") == []  # the other STIB did not integrate her
    assert _told_about(net) == [("right-granted", ALICE)]  # nothing stored about BOB, CAROL


def test_right_ended_when_the_subscribers_status_ends(net: StatusNet) -> None:
    _subscribe_both_stibs(net)
    net.household("M-1", [ALICE, BOB])
    net.integrate(ALICE, who="stib", code=1)
    net.status(ALICE, "ris", "A-1", start="2024-01-01")
    net.status(BOB, "bim", "B-1", who="mutuality", start="2023-01-01")  # not hers: no help
    _settled(net, "a", 1)
    net.status(ALICE, "ris", "A-1", action="end", start="2024-01-01", end=yesterday(),
               effective=today() + dt.timedelta(days=1))
    events = _settled(net, "a", 2)
    assert [e["type"].rsplit(".", 1)[-1] for e in events] == ["right-granted", "right-ended"]
    assert events[1]["data"]["changes"] == {"right": STIB_TARIFF, "members": [ALICE],
                                            "end": today().isoformat()}
    assert net.events("b") == []


def test_a_stib_integrating_a_subscriber_who_holds_the_right_is_told_at_integration(
        net: StatusNet) -> None:
    _subscribe_both_stibs(net)
    net.household("M-1", [ALICE])
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    _seed_bim(net, CAROL)  # loaded at seeding: the hub never followed her
    time.sleep(0.5)
    assert net.events("a") == [] and net.events("b") == []  # no subscriber yet: no one told
    net.integrate(ALICE, who="stib", code=1)
    net.integrate(CAROL, who="stib", code=1)
    net.integrate(BOB, who="stib", code=1)  # holds nothing: nothing told
    events = _settled(net, "a", 2)
    assert sorted(e["subject"] for e in events) == sorted([ALICE, CAROL])
    assert {e["data"]["changes"]["start"] for e in events} == {today().isoformat()}
    assert net.events("b") == []
    net.integrate(ALICE, who="stib-2", code=1)  # another STIB's new subscriber
    (other,) = _settled(net, "b", 1)
    assert other["subject"] == ALICE and other["type"].endswith("right-granted")
    assert len(net.events("a")) == 2  # the first STIB is not told again
    assert _told_about(net) == [("right-granted", n) for n in (ALICE, CAROL, ALICE)]
    assert verify(net.engine).ok  # the notices journaled in the integration's transaction


def test_a_notice_waiting_when_the_stib_ends_the_subscribers_file_is_not_delivered(
        net: StatusNet) -> None:
    _subscribe_both_stibs(net)
    net.receivers["a"][0].failing = True  # the STIB's endpoint is down
    net.integrate(ALICE, who="stib", code=1)
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    eventually(lambda: _delivery_states(net) == ["pending"])
    with net.client("stib") as client:
        ended = client.delete(f"/v1/integrations/{ALICE}/1", params={
            "end_user_id": "desk-7", "end_user_role": "customer-adviser"})
    assert ended.status_code == 200, ended.text
    net.receivers["a"][0].failing = False
    net.hub.delivery.wake()
    eventually(lambda: _delivery_states(net) == ["cancelled"])
    assert net.events("a") == []  # no longer its subscriber: not told


def _delivery_states(net: StatusNet) -> list[str]:
    with net.engine.connect() as connection:
        return list(connection.execute(select(deliveries.c.state).join(
            mutations, deliveries.c.mutation_id == mutations.c.id).where(
            mutations.c.type == "right-granted")).scalars())


def test_the_beneficiaries_list_holds_only_the_stibs_own_subscribers(net: StatusNet) -> None:
    net.household("M-1", [ALICE, BOB])
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    net.status(BOB, "ris", "B-1", start="2024-01-01")
    net.status(CAROL, "eris", "C-1", start="2024-01-01", end="2024-12-31")
    for niss in (ALICE, CAROL):
        net.integrate(niss, who="stib", code=1)
    net.integrate(BOB, who="stib-2", code=1)
    with net.client("stib") as client:
        listed = client.get(BENEFICIARIES).json()
        first = client.get(BENEFICIARIES, params={"limit": 1}).json()
    with net.client("stib-2") as client:
        other = client.get(BENEFICIARIES).json()
    assert listed["households"] == [{"members": [ALICE]}]  # CAROL's ERIS ended; no BOB
    assert first["households"] == [{"members": [ALICE]}] and first["next"] is None
    assert listed["ticket"]
    assert other["households"] == [{"members": [BOB]}]


def test_the_list_pages_over_the_subscribers(net: StatusNet) -> None:
    for niss, event in ((ALICE, "A-1"), (BOB, "B-1"), (CAROL, "C-1")):
        net.status(niss, "bim", event, who="mutuality", start="2024-01-01")
        net.integrate(niss, who="stib", code=1)
    with net.client("stib") as client:
        first = client.get(BENEFICIARIES, params={"limit": 2}).json()
        rest = client.get(BENEFICIARIES, params={"limit": 2, "after": first["next"]}).json()
    ordered = sorted([ALICE, BOB, CAROL])
    assert [h["members"][0] for h in first["households"]] == ordered[:2]
    assert first["next"] == f"person:{ordered[1]}"
    assert [h["members"][0] for h in rest["households"]] == ordered[2:]
    assert rest["next"] is None


def test_callers_without_the_deliberation_are_refused(net: StatusNet) -> None:
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    net.integrate(ALICE, who="stib", code=1)
    with net.client("spf-economy") as client:
        other_kind = client.get(BENEFICIARIES)
    with net.client("cpas") as client:
        cpas = client.get(BENEFICIARIES)
    with net.client("stib") as client:
        before = client.get(BENEFICIARIES, params={"date": "2015-01-01"})  # before CSI/16/131
        energy = client.get("/v1/rights/social-energy-tariff/beneficiaries")
    for refused in (other_kind, cpas, energy):
        assert refused.status_code == 403 and refused.json()["code"] == "no-deliberation"
    assert before.status_code == 403 and before.json()["code"] == "deliberation-expired"


def test_the_stib_consults_only_its_own_right_of_its_subscriber(net: StatusNet) -> None:
    net.household("M-1", [ALICE, BOB])
    net.integrate(ALICE, who="stib", code=1)
    net.status(BOB, "ris", "B-1", start="2024-01-01")  # the household's energy tariff
    net.status(ALICE, "bim", "A-1", who="mutuality", start="2024-01-01")
    net.integrate(ALICE)  # the CPAS's file: it sees every right of the household

    def rights(who: str, capacity: int) -> list[str]:
        response = net.consult("derived-rights", ALICE, who=who, capacity=capacity)
        assert response.status_code == 200, response.text
        return sorted(r["right"] for r in response.json()["data"]["rights"])

    eventually(lambda: rights("cpas", 2) == ["social-energy-tariff", STIB_TARIFF])
    assert rights("stib", 1) == [STIB_TARIFF]


def _seed_bim(net: StatusNet, niss: str) -> None:
    since = dt.date(2020, 1, 1)
    with net.engine.begin() as connection:
        repository.load(connection, [
            {"source": "0411702543", "event_id": f"seed-{niss}", "niss": niss, "status": "bim",
             "starts_on": since, "ends_on": None, "cancelled": False, "effective_on": since,
             "action_rank": 0, "source_ref": "seed"}], "statuses")
