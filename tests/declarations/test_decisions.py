"""The decision rules of the SPP IS on their own (no network): an end closes the grant it rests
on, for the overlap of another CPAS's request and for what may still rest on that grant; a
heating allowance rests on the household income, within its limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from importlib import resources
from typing import Any

import pytest

from carrefour.declarations import decisions
from carrefour.declarations.domain import default_types, parse_types
from carrefour.errors import InvalidInput

TYPES = default_types()
RIS, END, RECOVERY = (TYPES.get(c) for c in ("federal-intervention", "grant-end",
                                             "recovered-amount"))
GRANTED = {"granted": True, "refund_percent": 55.0}


def grant(*, ended: dt.date | None = None) -> decisions.Held:
    """The grant of the CPAS A for 2026: a living wage, ended or not."""
    return decisions.Held(declarant="A", type=RIS.code, reference="G-1", state="accepted",
                          data={"category": "single", "start": "2026-01-01",
                                "end": "2026-12-31", "monthly_amount": 1000.0},
                          decision=GRANTED, ended=ended)


def asked(kind: Any, declarant: str, data: dict[str, Any], **more: Any) -> decisions.Asked:
    return decisions.Asked(type=kind.code, declarant=declarant, reference="X-1", data=data,
                           period=kind.bounds(), others=more.pop("others", []), **more)


def request(start: str) -> dict[str, Any]:
    return {"category": "single", "start": start, "end": "2026-12-31", "monthly_amount": 900.0}


def test_the_grant_ends_are_the_types_that_end_what_they_rest_on() -> None:
    assert sorted(t.code for t in TYPES.all() if t.decision and t.decision.ends) == [
        "grant-end", "grant-end-wet65"]
    assert END.decision is not None and END.decision.rests_on is not None


@pytest.mark.parametrize(("ended", "outcome", "reason"), [
    (None, "refused", "overlap"),  # CPAS A still helps the person
    (dt.date(2026, 6, 30), "granted", None),  # A's help ended the day before
    (dt.date(2026, 7, 1), "refused", "overlap"),  # A's last day is B's first
])
def test_another_cpas_may_help_from_the_day_after_the_end_of_a_grant(
    ended: dt.date | None, outcome: str, reason: str | None,
) -> None:
    assert RIS.decision is not None
    decided = decisions.decide(RIS.decision, asked(RIS, "B", request("2026-07-01"),
                                                   others=[grant(ended=ended)]))
    assert (decided["outcome"], decided["reason"]) == (outcome, reason)


@pytest.mark.parametrize(("start", "end", "reason"), [
    ("2026-05-01", "2026-05-31", None),  # before the end
    ("2026-06-01", "2026-07-31", "outside-grant"),  # past the end
])
def test_nothing_is_recovered_past_the_end_of_a_grant(start: str, end: str,
                                                      reason: str | None) -> None:
    assert RECOVERY.decision is not None and RIS.period is not None
    data = {"grant_reference": "G-1", "start": start, "end": end, "recovered_on": "2026-08-01",
            "amount": 100.0}
    decided = decisions.decide(RECOVERY.decision, asked(
        RECOVERY, "A", data, grant=grant(ended=dt.date(2026, 6, 30)),
        grant_period=RIS.bounds()))
    assert decided["reason"] == reason


def test_an_end_that_rests_on_nothing_is_refused_in_the_file_of_types() -> None:
    text = """
[[declaration]]
code = "end"
title = "t"
service = "declare-alert-reaction"
consultation = "spp-decisions"
fields = [{ name = "alert_id", type = "string" }, { name = "reaction", type = "string" },
          { name = "reacted_on", type = "date" }, { name = "comment", type = "string" }]
allowed = { codes = [1] }
decision = { ends = true }
"""
    with pytest.raises(InvalidInput, match="rests on one"):
        parse_types(text)


@pytest.mark.parametrize(("decision", "reason"), [
    (None, "duplicate"),  # still undecided
    (GRANTED, "duplicate"),
    ({"granted": False, "reason": "overlap"}, None),  # refused: it may be sent again
])
def test_a_request_sent_again_under_another_reference_is_a_duplicate_unless_it_was_refused(
    decision: dict[str, Any] | None, reason: str | None,
) -> None:
    assert RIS.decision is not None
    data = request("2026-07-01")
    held = decisions.Held(declarant="B", type=RIS.code, reference="B-0", state="accepted",
                          data=data, decision=decision)
    decided = decisions.decide(RIS.decision, asked(RIS, "B", data, others=[held]))
    assert decided["reason"] == reason


# --- the heating allowance (Fonds social chauffage) ----------------------------------------------
HEATING, INCOME = TYPES.get("heating-allowance"), TYPES.get("household-income")
ELIGIBLE = {"granted": True, "outcome": "eligible"}


def income(*, year: int = 2025, decision: dict[str, Any] | None = ELIGIBLE,
           state: str = "accepted", declarant: str = "A") -> decisions.Held:
    return decisions.Held(declarant=declarant, type=INCOME.code, reference="INC-1",
                          state=state, decision=decision,
                          data={"income_year": year, "taxable_income": 15000.0,
                                "dependants": 0, "assessed_on": "2026-01-10"})


def allowance(**data: Any) -> dict[str, Any]:
    return {"category": "low-income", "income_reference": "INC-1",
            "invoice_date": "2026-02-01", "amount": 300.0, "litres": 1000,
            "fuel": "heating-oil", **data}


def heating(data: dict[str, Any], *, declarant: str = "A", **more: Any) -> dict[str, Any]:
    assert HEATING.decision is not None
    more.setdefault("grant", income())
    return decisions.decide(HEATING.decision, asked(HEATING, declarant, data, **more))


@pytest.mark.parametrize(("grant", "reason"), [
    (None, "no-income"),  # no reference, an unknown one, another person's
    (income(declarant="B"), "no-income"),  # another CPAS's income
    (income(decision=None), "income-not-eligible"),  # not decided yet
    (income(decision={"granted": False, "reason": "above-ceiling"}), "income-not-eligible"),
    (income(state="cancelled"), "income-cancelled"),
    (income(year=2024), "income-out-of-date"),  # two years before the invoice
    (income(year=2027), "income-out-of-date"),  # after the invoice's year
    (income(year=2025), None),  # the year before the invoice
    (income(year=2026), None),  # the invoice's year
])
def test_a_low_income_allowance_rests_on_an_eligible_and_recent_income_of_the_cpas(
    grant: decisions.Held | None, reason: str | None,
) -> None:
    decided = heating(allowance(), grant=grant)
    assert (decided["granted"], decided["reason"]) == (reason is None, reason)
    if reason is None:  # the fund refunds the CPAS the whole allowance
        assert (decided["refund_percent"], decided["federal_amount"]) == (100, 300.0)


@pytest.mark.parametrize("category", ["bim", "debt-mediation"])
def test_a_bim_or_indebted_household_needs_no_income_declaration(category: str) -> None:
    data = allowance(category=category)
    del data["income_reference"]
    assert heating(data, grant=None)["granted"] is True


@pytest.mark.parametrize(("more", "reason"), [
    ({"amount": 360.0}, None),  # 0.36 a litre
    ({"amount": 360.01}, "over-limit"),
    ({"litres": None, "fuel": "paraffin", "amount": 210.0}, None),  # the flat allowance
    ({"litres": None, "fuel": "paraffin", "amount": 210.5}, "over-limit"),
])
def test_the_allowance_is_at_most_so_much_a_litre_or_the_flat_amount(
    more: dict[str, Any], reason: str | None,
) -> None:
    data = {k: v for k, v in allowance(**more).items() if v is not None}
    assert heating(data)["reason"] == reason


def held_allowance(reference: str, declarant: str = "B", *, decision: dict[str, Any] | None
                   = GRANTED, **data: Any) -> decisions.Held:
    return decisions.Held(declarant=declarant, type=HEATING.code, reference=reference,
                          state="accepted", data=allowance(**data), decision=decision)


@pytest.mark.parametrize(("others", "reason"), [
    ([held_allowance("B-1", litres=600, invoice_date="2026-01-05")], None),  # 600 + 1000
    ([held_allowance("B-1", litres=600, invoice_date="2026-01-05"),
      held_allowance("B-2", litres=1, invoice_date="2026-01-20")], "over-season-limit"),
    ([held_allowance("B-1", litres=1400, invoice_date="2025-12-20")], None),  # last year
    ([held_allowance("B-1", litres=1400, invoice_date="2026-01-05",
                     decision={"granted": False})], None),  # refused: nothing received
])
def test_at_most_1500_litres_a_calendar_year_on_the_person_every_cpas_together(
    others: list[decisions.Held], reason: str | None,
) -> None:
    assert heating(allowance(litres=900, amount=300.0), others=others)["reason"] == reason


@pytest.mark.parametrize(("held", "reason"), [
    (held_allowance("B-1", litres=10, amount=3.0), "duplicate"),  # another CPAS, same invoice
    (held_allowance("B-1", decision=None, litres=10, amount=3.0), "duplicate"),  # undecided
    (held_allowance("B-1", decision={"granted": False}), None),  # refused: may be sent again
    (held_allowance("B-1", fuel="bulk-propane", litres=100), None),  # another invoice
    (held_allowance("X-1", declarant="A", litres=1000), None),  # its own earlier version
])
def test_the_same_invoice_is_granted_once_whoever_declares_it(
    held: decisions.Held, reason: str | None,
) -> None:
    assert heating(allowance(litres=900), others=[held])["reason"] == reason


@pytest.mark.parametrize(("replaced", "message"), [
    ('field = "income_year"', 'field = "income"'),  # the income declaration carries no such
    ('outside = "income-out-of-date"', 'late = "income-out-of-date"'),
    ('until = "year-end"', 'until = "june"'),
])
def test_a_wrong_heating_rule_is_refused_in_the_file_of_types(replaced: str,
                                                                message: str) -> None:
    text = resources.files("carrefour.declarations").joinpath("types.toml").read_text(
        encoding="utf-8")
    assert replaced in text
    with pytest.raises(InvalidInput):
        parse_types(text.replace(replaced, message))


def test_what_rests_on_a_grant_is_annulled_when_the_grant_no_longer_holds_it() -> None:
    recovery = {"grant_reference": "G-1", "start": "2026-02-01", "end": "2026-02-28",
                "recovered_on": "2026-03-05", "amount": 80.0}
    held = grant()

    def revision(of: decisions.Held) -> str | None:
        assert RECOVERY.decision is not None and RECOVERY.decision.rests_on is not None
        return decisions.revision(RECOVERY.decision.rests_on, of, RIS.bounds(),
                                  RECOVERY.bounds(), recovery)

    assert revision(held) is None
    assert revision(replace(held, state="cancelled")) == "grant-cancelled"
    assert revision(replace(held, decision={"granted": False})) == "grant-refused"
    later = {**held.data, "start": "2026-03-01"}
    assert revision(replace(held, data=later)) == "outside-grant"
    # an end that closed the grant is not held against what was granted on it before
    assert revision(grant(ended=dt.date(2026, 2, 10))) is None
    assert sorted(t.code for t in TYPES.all() if t.decision and t.decision.rests_on
                  and t.decision.rests_on.follows) == [
        "grant-end", "grant-end-wet65", "recovered-amount", "recovered-amount-wet65"]
    assert decisions.annulled("grant-cancelled") == {
        "outcome": "annulled", "granted": False, "reason": "grant-cancelled",
        "refund_percent": None, "federal_amount": None}


