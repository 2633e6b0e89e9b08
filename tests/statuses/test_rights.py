"""Derived rights granted as the statuses change: exactly one right-granted per entitled
household and granting institution, right-ended once the household no longer qualifies, only
the fields the deliberation gives, and the beneficiaries on a date."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import func, select

from carrefour.directory.cache import load_snapshot
from carrefour.rights.engine import RightsEngine
from carrefour.rights.services import rules_in_force
from carrefour.rights.sweep import sweep_statuses
from carrefour.signal.domain import default_mutation_types
from carrefour.signal.tables import deliveries, mutations
from tests.people import ALICE, BOB, CAROL
from tests.statuses.conftest import StatusNet, eventually, today, yesterday

TARIFF = "social-energy-tariff"


def _types(net: StatusNet, receiver: str) -> list[str]:
    return [e["type"].rsplit(".", 1)[-1] for e in net.events(receiver)]


def _subscribe_granting(net: StatusNet) -> None:
    for kind in ("right-granted", "right-ended"):
        net.subscribe("spf-economy", kind, "a")
        net.subscribe("energy-cell", kind, "b")


def test_a_status_change_grants_once_per_household_and_institution(net: StatusNet) -> None:
    _subscribe_granting(net)
    net.subscribe("cpas", "right-granted", "a")  # not the granting kind: gets nothing
    net.household("M-1", [ALICE, BOB])
    net.household("M-2", [CAROL])
    assert net.status(ALICE, "ris", "A-1", start="2024-01-01").status_code == 202
    net.status(BOB, "bim", "B-1", who="mutuality", start="2023-01-01")  # held already
    net.status(ALICE, "ris", "A-1", start="2024-01-01")  # re-sent
    eventually(lambda: len(net.events("a")) >= 1 and len(net.events("b")) >= 1)
    time.sleep(0.5)
    for receiver in ("a", "b"):
        (event,) = net.events(receiver)
        assert event["type"].endswith("right-granted")
        changes = event["data"]["changes"]
        assert changes["right"] == TARIFF and changes["household_id"] == "M-1"
        assert changes["members"] == sorted([ALICE, BOB])
        assert changes["postal_code"] == "1000" and "grounds" not in changes  # not granted
    assert _rights_told(net) == 1  # one mutation, two deliveries: one per institution


def test_right_ended_when_no_member_qualifies_any_more(net: StatusNet) -> None:
    _subscribe_granting(net)
    net.household("M-1", [ALICE, BOB])
    net.status(ALICE, "ris", "A-1", start="2024-01-01")
    net.status(BOB, "bim", "B-1", who="mutuality", start="2023-01-01")
    net.status(ALICE, "ris", "A-1", action="end", start="2024-01-01", end=yesterday(),
               effective=today() + dt.timedelta(days=1))  # BIM still holds it
    eventually(lambda: len(net.events("a")) >= 1)
    time.sleep(0.3)
    assert _types(net, "a") == ["right-granted"]
    net.status(BOB, "bim", "B-1", who="mutuality", action="cancel", start="2023-01-01",
               effective=today() + dt.timedelta(days=1))
    eventually(lambda: len(net.events("a")) >= 2 and len(net.events("b")) >= 2)
    time.sleep(0.3)
    for receiver in ("a", "b"):
        assert _types(net, receiver) == ["right-granted", "right-ended"]
        ended = net.events(receiver)[1]["data"]["changes"]
        assert ended["household_id"] == "M-1" and ended["end"] == today().isoformat()


def test_the_beneficiaries_on_a_date(net: StatusNet) -> None:
    net.household("M-1", [ALICE, BOB])
    net.household("M-2", [CAROL])
    net.status(BOB, "bim", "B-1", who="mutuality", start="2023-01-01", end="2024-12-31")
    net.status(CAROL, "disability-allowance", "C-1", who="mutuality", start="2024-06-01")
    with net.client("spf-economy") as client:
        early = client.get(f"/v1/rights/{TARIFF}/beneficiaries", params={"date": "2024-03-01"})
        late = client.get(f"/v1/rights/{TARIFF}/beneficiaries", params={"date": "2025-03-01"})
        page = client.get(f"/v1/rights/{TARIFF}/beneficiaries",
                          params={"date": "2024-07-01", "limit": 1})
    assert early.status_code == 200, early.text
    assert [(h["household_id"], h["members"]) for h in early.json()["households"]] == [
        ("M-1", sorted([ALICE, BOB]))]
    assert [h["household_id"] for h in late.json()["households"]] == ["M-2"]
    assert "grounds" not in early.json()["households"][0]  # not in the deliberation
    assert [h["household_id"] for h in page.json()["households"]] == ["M-1"]
    assert page.json()["next"] == "M-1" and page.json()["ticket"]


def _rights_told(net: StatusNet) -> int:
    with net.engine.connect() as connection:
        told = connection.execute(select(func.count()).select_from(mutations).where(
            mutations.c.type == "right-granted")).scalar_one()
        sent = connection.execute(select(func.count()).select_from(deliveries).join(
            mutations, deliveries.c.mutation_id == mutations.c.id).where(
            mutations.c.type == "right-granted")).scalar_one()
    assert sent == 2
    return int(told)


def test_the_daily_sweep_ends_a_right_whose_status_period_passed(net: StatusNet) -> None:
    _subscribe_granting(net)
    net.household("M-1", [ALICE])
    last_day = today() + dt.timedelta(days=1)
    net.status(ALICE, "ris", "A-1", start="2024-01-01", end=last_day.isoformat())
    eventually(lambda: _types(net, "a") == ["right-granted"])
    rights = RightsEngine(rules_in_force(), default_mutation_types())
    snapshot = load_snapshot(net.engine)
    assert sweep_statuses(net.engine, rights.follow, snapshot=snapshot, today=today()) == 0
    day_after = last_day + dt.timedelta(days=1)  # no mutation came: the period just passed
    assert sweep_statuses(net.engine, rights.follow, snapshot=snapshot, today=day_after) == 1
    net.hub.delivery.wake()
    eventually(lambda: len(net.events("a")) >= 2)
    ended = net.events("a")[1]
    assert ended["type"].endswith("right-ended")
    assert ended["data"]["changes"]["end"] == day_after.isoformat()
    # Swept again (the next cycle, another process): nothing more is told.
    assert sweep_statuses(net.engine, rights.follow, snapshot=snapshot, today=day_after) == 1
    time.sleep(0.5)
    assert _types(net, "a") == ["right-granted", "right-ended"]
    with net.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(mutations).where(
            mutations.c.type == "right-ended")).scalar_one() == 1
