"""The heating allowance (Fonds social chauffage, OCMWCPASHeatingAllocation) decided by the
simulated SPP IS through the hub: a low income rests on the household income the CPAS declared
(eligible, not cancelled, of the same CPAS and person, of the invoice's year or the year
before), a BIM or indebted household on the CPAS's word; at most so much a litre and 1,500
litres a calendar year; the same invoice once. The `heating-allowance` status reaches the
buffer only once granted, and leaves it when a correction is refused or the allowance
cancelled."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import select

from carrefour.statuses.tables import statuses
from tests.declarations.conftest import DeclarationNetwork
from tests.declarations.test_spp_exchanges import decision, granted, subscribe, wait_decided

TODAY = dt.date.today()
HEATING, INCOME = "heating-allowance", "household-income"


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def income(**data: Any) -> dict[str, Any]:
    return {"income_year": TODAY.year - 1, "taxable_income": 15000.0, "dependants": 0,
            "assessed_on": day(-5), **data}


def allowance(reference: str | None, **data: Any) -> dict[str, Any]:
    found = {"category": "low-income", "income_reference": reference,
             "invoice_date": day(0), "amount": 300.0, "litres": 1000, "fuel": "heating-oil",
             **data}
    return {k: v for k, v in found.items() if v is not None}


def heating(network: DeclarationNetwork, niss: str, reference: str, data: dict[str, Any]
            ) -> dict[str, Any]:
    """The SPP IS's decision on a heating allowance the demo CPAS declares."""
    return granted(network, niss, HEATING, reference, data, 40)


def eligible(network: DeclarationNetwork, niss: str, reference: str, **data: Any) -> None:
    assert granted(network, niss, INCOME, reference, income(**data), 40)[
        "outcome"] == "eligible"


def buffered(network: DeclarationNetwork, niss: str, expected: list[tuple[str, str]]
             ) -> None:
    """The person's heating-allowance statuses in the hub's buffer, (start, end) of those not
    cancelled, come to be ``expected`` (waits 10 s at most)."""
    deadline, found = time.monotonic() + 10, None
    while time.monotonic() < deadline:
        with network.engine.connect() as connection:
            rows = connection.execute(select(statuses.c.starts_on, statuses.c.ends_on).where(
                statuses.c.niss == niss, statuses.c.status == HEATING,
                statuses.c.cancelled.is_(False))).all()
        found = sorted((r.starts_on.isoformat(), r.ends_on.isoformat()) for r in rows)
        if found == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"the buffer holds {found}, not {expected}")


def test_a_low_income_allowance_is_refused_without_an_eligible_income_of_the_cpas_and_person(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss, other = (declaration_network, declaration_network.persons[0],
                            declaration_network.persons[1])
    subscribe(network)
    for person in (niss, other):
        network.integrate(person, 40)
    network.integrate(niss, 40, who="cpas-liege")
    liege = network.declare(niss, "LG-INC-0", income(), kind=INCOME, capacity=40,
                            who="cpas-liege")
    assert liege.status_code == 201, liege.text
    assert wait_decided(network, niss, "cpas-liege", 40, "LG-INC-0")["outcome"] == "eligible"
    eligible(network, other, "INC-1")  # another person's
    assert granted(network, niss, INCOME, "INC-HIGH", income(taxable_income=40000.0), 40)[
        "reason"] == "above-ceiling"
    eligible(network, niss, "INC-OLD", income_year=TODAY.year - 2)
    eligible(network, niss, "INC-GONE")
    assert network.cancel(niss, "INC-GONE", kind=INCOME, capacity=40).status_code == 200
    assert decision(network, niss, "INC-GONE", 2)["outcome"] == "cancelled"
    refusals = {"H-0A": (None, "no-income"), "H-0B": ("NO-SUCH-INCOME", "no-income"),
                "H-0C": ("INC-1", "no-income"), "H-0D": ("LG-INC-0", "no-income"),
                "H-0E": ("INC-HIGH", "income-not-eligible"),
                "H-0F": ("INC-GONE", "income-cancelled"),
                "H-0G": ("INC-OLD", "income-out-of-date")}
    for reference, (named, reason) in refusals.items():  # a refused invoice may come again
        refused = heating(network, niss, reference, allowance(named))
        assert (reference, refused["outcome"], refused["reason"]) == (
            reference, "refused", reason)
    eligible(network, niss, "INC-0")
    grant = heating(network, niss, "H-0H", allowance("INC-0"))
    assert (grant["outcome"], grant["refund_percent"], grant["federal_amount"]) == (
        "granted", 100, 300.0)


def test_a_bim_or_indebted_household_needs_no_income_but_stays_within_the_limits(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[2]
    subscribe(network)
    network.integrate(niss, 40)
    network.integrate(niss, 40, who="cpas-liege")
    over = heating(network, niss, "H-2A", allowance(None, category="bim", amount=361.0))
    assert over["reason"] == "over-limit"  # 1,000 litres at 0.36 at most
    assert heating(network, niss, "H-2B", allowance(None, category="bim", litres=900,
                                                    fuel="bulk-propane"))["granted"] is True
    season = heating(network, niss, "H-2C", allowance(None, category="debt-mediation",
                                                      litres=700, amount=200.0))
    assert season["reason"] == "over-season-limit"  # 900 + 700 litres this calendar year
    assert heating(network, niss, "H-2D", allowance(None, category="debt-mediation",
                                                    litres=600, amount=200.0))["granted"]
    flat = allowance(None, category="bim", litres=None, fuel="paraffin", amount=210.0)
    assert heating(network, niss, "H-2E", flat)["granted"] is True  # at the pump: flat rate
    same = network.declare(niss, "LG-2E", flat, kind=HEATING, capacity=40, who="cpas-liege")
    assert same.status_code == 201, same.text
    assert wait_decided(network, niss, "cpas-liege", 40, "LG-2E")["reason"] == "duplicate"


def test_the_status_follows_the_grant_not_the_receipt_and_leaves_with_a_refusal_or_a_cancel(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[3]
    subscribe(network)
    network.integrate(niss, 40)
    network.integrate(niss, 1, who="inspection-sociale")
    refused = heating(network, niss, "H-3A", allowance("NO-INCOME"))
    assert refused["reason"] == "no-income" and refused["status"] is None
    buffered(network, niss, [])  # refused: no status, nothing received
    eligible(network, niss, "INC-3")
    first = heating(network, niss, "H-3B", allowance("INC-3"))
    season_end = f"{TODAY.year}-12-31"
    assert first["status"] == {"status": HEATING, "start": day(0), "end": season_end,
                               "event_id": first["decision_id"]}
    buffered(network, niss, [(day(0), season_end)])
    seen = network.consult("heating-allowances", niss, capacity=1, who="inspection-sociale")
    assert seen.json()["data"]["received"] is True
    # a correction the SPP IS refuses withdraws the status the first version gave
    corrected = network.correct(niss, "H-3B", allowance("INC-3", amount=400.0), kind=HEATING,
                                capacity=40)
    assert corrected.json()["state"] == "received"
    over = decision(network, niss, "H-3B", 2)
    assert (over["reason"], over["withdraws"]) == ("over-limit", first["status"])
    buffered(network, niss, [])
    seen = network.consult("heating-allowances", niss, capacity=1, who="inspection-sociale")
    assert seen.json()["data"] == {"received": False, "last_invoice_date": None,
                                   "allowances": []}
    # corrected again and granted: the status is back; cancelled: it leaves for good
    network.correct(niss, "H-3B", allowance("INC-3", amount=350.0), kind=HEATING, capacity=40)
    assert decision(network, niss, "H-3B", 3)["granted"] is True
    buffered(network, niss, [(day(0), season_end)])
    network.cancel(niss, "H-3B", kind=HEATING, capacity=40)
    assert decision(network, niss, "H-3B", 4)["outcome"] == "cancelled"
    buffered(network, niss, [])


def test_a_cancelled_income_refuses_the_allowances_after_it_and_leaves_those_before(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[4]
    subscribe(network)
    network.integrate(niss, 40)
    eligible(network, niss, "INC-4")
    assert heating(network, niss, "H-4A", allowance("INC-4", litres=500,
                                                    amount=150.0))["granted"] is True
    buffered(network, niss, [(day(0), f"{TODAY.year}-12-31")])
    cancelled = network.cancel(niss, "INC-4", kind=INCOME, capacity=40)
    assert cancelled.status_code == 200, cancelled.text
    assert decision(network, niss, "INC-4", 2)["outcome"] == "cancelled"
    later = heating(network, niss, "H-4B", allowance("INC-4", fuel="bulk-propane"))
    assert later["reason"] == "income-cancelled"
    listed = wait_decided(network, niss, "cpas", 40, "H-4A")
    assert listed["granted"] is True  # the allowance granted before stands
    buffered(network, niss, [(day(0), f"{TODAY.year}-12-31")])
