"""The decision rules of the SPP IS on their own (no network): an end closes the grant it rests
on, for the overlap of another CPAS's request and for what may still rest on that grant."""

from __future__ import annotations

import datetime as dt
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
