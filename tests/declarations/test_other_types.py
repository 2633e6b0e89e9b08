"""The CPAS's other provided data (seed 004, part 3) as declaration types: heating allowance,
water allowance, advances on family allowances; each consulted by its own clients."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from tests.declarations.conftest import DeclarationNetwork

TODAY = dt.date.today()


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def _data(network: DeclarationNetwork, service: str, niss: str, who: str, code: int
          ) -> dict[str, Any]:
    answer = network.consult(service, niss, capacity=code, who=who)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def test_a_heating_allowance_is_seen_by_the_inspection_once_the_spp_is_granted_it(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[20]
    network.integrate(niss, 40)
    network.integrate(niss, 1, who="inspection-sociale")
    income = {"income_year": TODAY.year - 1, "taxable_income": 15000.0, "dependants": 0,
              "assessed_on": _day(-4)}
    assert network.declare(niss, "INC-20", income, kind="household-income",
                           capacity=40).status_code == 201
    allowance = {"category": "low-income", "income_reference": "INC-20",
                 "invoice_date": _day(0), "amount": 210.0, "litres": 1000,
                 "fuel": "heating-oil"}
    sent = network.declare(niss, "HEAT-1", allowance, kind="heating-allowance", capacity=40)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["deliberation"], sent.json()["state"]) == ("CSI/09/102", "received")
    seen = _granted(network, niss)
    assert seen["received"] is True and seen["last_invoice_date"] == _day(0)
    assert [(a["amount"], a["fuel"], a["state"]) for a in seen["allowances"]] == [
        (210.0, "heating-oil", "accepted")]
    future = network.declare(niss, "HEAT-2", {**allowance, "invoice_date": _day(2)},
                             kind="heating-allowance", capacity=40)
    assert future.json()["code"] == "impossible-period"
    ris = network.declare(niss, "HEAT-3", allowance, kind="heating-allowance", capacity=2)
    assert ris.status_code == 403  # no RIS file on the person, and 002 may not declare it


def _granted(network: DeclarationNetwork, niss: str) -> dict[str, Any]:
    """The heating allowances the inspection sees, once the SPP IS granted one (10 s)."""
    deadline = time.monotonic() + 10
    while True:
        seen = _data(network, "heating-allowances", niss, "inspection-sociale", 1)
        if seen["allowances"] or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_a_water_allowance_is_seen_by_the_social_housing_company_as_a_flag_only(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[21]
    network.integrate(niss, 4)
    water = {"start": _day(-20), "end": _day(100), "amount": 150, "supplier": "Vivaqua"}
    sent = network.declare(niss, "WATER-1", water, kind="water-allowance", capacity=4)
    assert sent.status_code == 201, sent.text
    network.integrate(niss, 2, who="slrb")  # a tenant (code 002 of the sector 48)
    assert _data(network, "water-allowances", niss, "slrb", 2) == {"received": True}
    cancelled = network.cancel(niss, "WATER-1", kind="water-allowance", capacity=4)
    assert cancelled.json()["state"] == "cancelled"
    assert _data(network, "water-allowances", niss, "slrb", 2) == {"received": False}


def test_an_advance_on_family_allowances_goes_to_the_funds_and_is_seen_by_opgroeien(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[22]
    network.integrate(niss, 4)
    advance = {"start": _day(-10), "end": _day(20), "monthly_amount": 180.5}
    sent = network.declare(niss, "ADV-1", advance, kind="family-allowance-advance", capacity=4)
    assert sent.status_code == 201, sent.text
    network.integrate(niss, 102, who="opgroeien")
    seen = _data(network, "family-allowance-advances", niss, "opgroeien", 102)
    assert seen["advanced"] is True
    assert [a["monthly_amount"] for a in seen["advances"]] == [180.5]
    corrected = network.correct(niss, "ADV-1", {**advance, "monthly_amount": 200},
                                kind="family-allowance-advance", capacity=4)
    assert corrected.json()["version"] == 2
    seen = _data(network, "family-allowance-advances", niss, "opgroeien", 102)
    assert [(a["monthly_amount"], a["state"]) for a in seen["advances"]] == [
        (200.0, "corrected")]
    assert network.mutations(niss) == []  # an advance carries no social status


def test_a_client_outside_social_security_integrates_its_customer_before_asking(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[23]
    network.integrate(niss, 2)
    assert network.declare(niss, "RIS-23", {"type": "ris", "start": _day(-1),
                                            "end": _day(90)}).status_code == 201
    before = network.consult("living-wages", niss, capacity=1, who="ibpt")
    assert before.status_code == 403 and before.json()["code"] == "not-integrated"
    network.integrate(niss, 1, who="ibpt")
    assert _data(network, "living-wages", niss, "ibpt", 1) == {"entitled": True}
    other = network.consult("heating-allowances", niss, capacity=1, who="ibpt")
    assert other.status_code == 403 and other.json()["code"] == "no-deliberation"


@pytest.mark.parametrize(("kind", "capacity", "wrong", "person", "data", "change"), [
    ("heating-allowance", 40, 2, 23,
     {"category": "bim", "invoice_date": _day(-3), "amount": 210.0, "litres": 1000,
      "fuel": "heating-oil"},
     {"amount": 230.0}),
    ("water-allowance", 4, 40, 24,
     {"start": _day(-20), "end": _day(100), "amount": 150, "supplier": "Vivaqua"},
     {"amount": 160}),
    ("family-allowance-advance", 4, 40, 25,
     {"start": _day(-10), "end": _day(20), "monthly_amount": 180.5}, {"monthly_amount": 190}),
])
def test_each_provided_datum_is_accepted_resent_corrected_cancelled_or_refused(
    declaration_network: DeclarationNetwork, kind: str, capacity: int, wrong: int,
    person: int, data: dict[str, Any], change: dict[str, Any],
) -> None:
    network, niss = declaration_network, declaration_network.persons[person]
    network.integrate(niss, capacity)
    reference = f"{kind.upper()}-1"
    sent = network.declare(niss, reference, data, kind=kind, capacity=capacity)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["version"], sent.json()["duplicate"]) == (1, False)
    again = network.declare(niss, reference, data, kind=kind, capacity=capacity)
    assert again.status_code == 201
    assert (again.json()["version"], again.json()["duplicate"]) == (1, True)  # idempotent
    other = network.declare(niss, reference, {**data, **change}, kind=kind, capacity=capacity)
    assert (other.status_code, other.json()["code"]) == (409, "declaration-conflict")
    corrected = network.correct(niss, reference, {**data, **change}, kind=kind,
                                capacity=capacity)
    assert (corrected.status_code, corrected.json()["version"]) == (200, 2), corrected.text
    cancelled = network.cancel(niss, reference, kind=kind, capacity=capacity)
    assert (cancelled.json()["state"], cancelled.json()["version"]) == ("cancelled", 3)
    assert network.cancel(niss, reference, kind=kind,
                          capacity=capacity).json()["duplicate"] is True
    network.integrate(niss, wrong)
    refused = network.declare(niss, f"{reference}-W", data, kind=kind, capacity=wrong)
    assert (refused.status_code, refused.json()["code"]) == (403,
                                                             "declaration-type-not-allowed")
