"""The exchanges between a CPAS and the SPP IS (seed 004): each declaration type acknowledged
at once (`received`), decided later by the simulated SPP IS with the rules of its type, the
decision reaching the declarant as a `spp-decision` mutation and consultable through
`spp-decisions` (OCMWCPASListOfAttestation); refusals, corrections, cancellations and
idempotent resubmission, each step journaled with its ticket."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, select

from carrefour.auth.services import Scope
from carrefour.declarations.domain import default_types
from carrefour.journal import services as journal
from carrefour.limits import MAX_PAGE
from carrefour.simulation.network import DEMO_CPAS_SLUG, institution
from carrefour.simulation.sources import outbox
from carrefour.simulation.sources.kinds import SPP_IS
from tests.declarations.conftest import DeclarationNetwork

TODAY = dt.date.today()
DEMO_CBE = institution(DEMO_CPAS_SLUG).cbe
LIEGE_CBE = institution("cpas-liege").cbe
SPP_CBE = institution("spp-is").cbe
ALLOWED = {t.code: t.allowed.every() for t in default_types().all()}


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@dataclass(frozen=True)
class Case:
    """One declaration type: the code declaring it, one that may not, valid data, data with an
    impossible period, a correction, and the grant it rests on (if any)."""

    code: str
    capacity: int
    wrong: int
    data: dict[str, Any]
    bad_period: dict[str, Any]
    correction: dict[str, Any]
    outcome: str = "granted"
    rests_on: tuple[str, dict[str, Any]] | None = None
    person: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


RIS_GRANT = ("federal-intervention", {"category": "single", "start": day(-120),
                                      "end": day(60), "monthly_amount": 1200.0})
WET65_GRANT = ("federal-intervention-wet65", {
    "form": "A", "beneficiary": "registered-foreigner", "start": day(-120), "end": day(60),
    "amount": 900.0})
CASES = [
    Case("federal-intervention", 2, 4,
         {"category": "single", "start": day(-30), "end": day(60), "monthly_amount": 1200.0},
         {"end": day(-31)}, {"monthly_amount": 1250.0}, person=30),
    Case("federal-intervention-wet65", 4, 2,
         {"form": "A", "beneficiary": "registered-foreigner", "start": day(-30),
          "end": day(60), "amount": 900.0},
         {"start": day(40)}, {"amount": 950.0}, person=31),
    Case("installation-premium", 2, 5, {"grant_date": day(-5), "amount": 1200.0},
         {"grant_date": day(3)}, {"amount": 1300.0}, person=32),
    Case("recovered-amount", 2, 4,
         {"grant_reference": "GRANT-33", "start": day(-60), "end": day(-31),
          "recovered_on": day(-2), "amount": 300.0},
         {"end": day(-61)}, {"amount": 320.0}, outcome="registered",
         rests_on=RIS_GRANT, person=33),
    Case("recovered-amount-wet65", 4, 2,
         {"form": "D", "grant_reference": "GRANT-34", "start": day(-60), "end": day(-31),
          "recovered_on": day(-2), "amount": 250.0},
         {"start": day(5), "end": day(6)}, {"amount": 260.0}, outcome="registered",
         rests_on=WET65_GRANT, person=34),
    Case("grant-end", 2, 4, {"grant_reference": "GRANT-35", "last_day": day(10),
                             "reason": "work"},
         {"last_day": day(200)}, {"last_day": day(20)}, outcome="registered",
         rests_on=RIS_GRANT, person=35),
    Case("grant-end-wet65", 4, 2, {"grant_reference": "GRANT-36", "last_day": day(10),
                                   "reason": "regularised"},
         {"last_day": "1960-01-01"}, {"last_day": day(15)}, outcome="registered",
         rests_on=WET65_GRANT, person=36),
    Case("heating-allowance", 40, 2,
         {"category": "low-income", "income_reference": "INCOME-50", "invoice_date": day(0),
          "amount": 300.0, "litres": 1000, "fuel": "heating-oil"},
         {"invoice_date": day(1)}, {"amount": 320.0},
         rests_on=("household-income", {"income_year": TODAY.year - 1,
                                        "taxable_income": 18000.0, "dependants": 1,
                                        "assessed_on": day(-3)}), person=50),
    Case("household-income", 40, 2,
         {"income_year": TODAY.year - 1, "taxable_income": 18000.0, "dependants": 1,
          "assessed_on": day(-3)},
         {"assessed_on": day(1)}, {"taxable_income": 18500.0}, outcome="eligible", person=37),
    Case("social-report", 2, 40,
         {"recipient": LIEGE_CBE, "subject": "competence-transfer", "written_on": day(-1),
          "summary": "The person moved to Liège; the file follows."},
         {"written_on": day(2)}, {"summary": "The person moved to Liège on the 1st."},
         outcome="forwarded", person=38),
    Case("alert-reaction", 1, 40,
         {"alert_id": "ALERT-2026-77", "reaction": "justified", "reacted_on": day(0)},
         {"reacted_on": "2004-12-31"}, {"reaction": "regularised"}, outcome="registered",
         person=39),
    Case("social-inquiry-help", 1, 40,
         {"topic": "housing", "inquiry_date": day(0), "question": "Is the person housed?"},
         {"inquiry_date": day(1)}, {"question": "Where is the person housed?"},
         outcome="answered", person=40),
]


# --- helpers -----------------------------------------------------------------------------------
def subscribe(network: DeclarationNetwork, who: str = "cpas") -> None:
    """One subscription of ``who`` to the decisions (each more would hand every decision out
    once more, and fill the feed's pages)."""
    if (who, "spp-decision") in network.subscribed:
        return
    response = network.post("/v1/subscriptions", {"mutation_type": "spp-decision"}, who)
    assert response.status_code in (201, 409), response.text
    network.subscribed.add((who, "spp-decision"))


def feed(network: DeclarationNetwork, niss: str, who: str = "cpas") -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {network.tokens[who]}"}
    answer = httpx.get(f"{network.url}/v1/feed", params={"limit": MAX_PAGE}, headers=headers,
                       timeout=30)
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["events"] if e["subject"] == niss
            and e["type"] == "be.carrefour.mutation.spp-decision"]


def decision(network: DeclarationNetwork, niss: str, reference: str, version: int
             ) -> dict[str, Any]:
    """The decision on one version, as it reached the declarant (waits 10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in feed(network, niss):
            changes = event["data"]["changes"]
            if (changes["reference"], changes["version"]) == (reference, version):
                assert changes["cpas"] == DEMO_CBE
                found: dict[str, Any] = changes["decision"]
                return found
        time.sleep(0.05)
    raise AssertionError(f"no decision on {reference} version {version}")


def decisions(network: DeclarationNetwork, niss: str, capacity: int, who: str = "cpas",
              **parameters: Any) -> dict[str, Any]:
    answer = network.consult("spp-decisions", niss, capacity=capacity, who=who, **parameters)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def granted(network: DeclarationNetwork, niss: str, code: str, reference: str,
            data: dict[str, Any], capacity: int) -> dict[str, Any]:
    sent = network.declare(niss, reference, data, kind=code, capacity=capacity)
    assert sent.status_code == 201, sent.text
    return decision(network, niss, reference, 1)


def reference_field(code: str) -> str:
    """The field naming the declaration a type rests on (grant_reference, income_reference)."""
    rule = default_types().get(code).decision
    assert rule is not None and rule.rests_on is not None
    return rule.rests_on.field


# --- every type --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])
def test_each_exchange_is_received_decided_later_corrected_cancelled_and_consulted(
    declaration_network: DeclarationNetwork, case: Case,
) -> None:
    network, niss = declaration_network, declaration_network.persons[case.person]
    subscribe(network)
    network.integrate(niss, case.capacity)
    if case.rests_on is not None:
        grant_code, grant_data = case.rests_on
        assert granted(network, niss, grant_code, case.data[reference_field(case.code)],
                       grant_data, case.capacity)["granted"] is True
    reference = f"{case.code.upper()}-1"
    sent = network.declare(niss, reference, case.data, kind=case.code, capacity=case.capacity)
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["state"], body["version"], body["duplicate"]) == ("received", 1, False)
    record = journal.by_ticket(network.engine, body["ticket"])
    assert record is not None
    assert (record.entry.action, record.entry.outcome, record.entry.reference) == (
        "declare", "received", f"{case.code}:{reference}")

    first = decision(network, niss, reference, 1)
    assert (first["outcome"], first["granted"], first["reason"]) == (case.outcome, True, None)
    assert first["ticket"] == body["ticket"]  # the decision names the step it decides
    again = network.declare(niss, reference, case.data, kind=case.code, capacity=case.capacity)
    assert again.status_code == 201
    assert (again.json()["duplicate"], again.json()["version"]) == (True, 1)
    assert again.json()["decision"]["outcome"] == case.outcome
    listed = decisions(network, niss, case.capacity, reference=reference)
    assert (listed["type"], listed["reference"], listed["version"]) == (
        case.code, reference, 1)
    assert listed["decision"]["outcome"] == case.outcome and listed["cpas"] == DEMO_CBE

    # refused before reaching the SPP IS: a quality code that may not, an impossible period
    network.integrate(niss, case.wrong)
    wrong = network.declare(niss, f"{reference}-W", case.data, kind=case.code,
                            capacity=case.wrong)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "declaration-type-not-allowed")
    bad = network.declare(niss, f"{reference}-P", {**case.data, **case.bad_period},
                          kind=case.code, capacity=case.capacity)
    assert (bad.status_code, bad.json()["code"]) == (422, "impossible-period")
    # refused by the SPP IS: the same declaration again under another reference
    twice = network.declare(niss, f"{reference}-D", case.data, kind=case.code,
                            capacity=case.capacity)
    assert twice.status_code == 201 and twice.json()["state"] == "received"
    refused = decision(network, niss, f"{reference}-D", 1)
    assert (refused["outcome"], refused["reason"]) == ("refused", "duplicate")

    corrected = network.correct(niss, reference, {**case.data, **case.correction},
                                kind=case.code, capacity=case.capacity)
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["state"], corrected.json()["version"]) == ("received", 2)
    assert decision(network, niss, reference, 2)["outcome"] == case.outcome
    cancelled = network.cancel(niss, reference, kind=case.code, capacity=case.capacity)
    assert (cancelled.json()["state"], cancelled.json()["version"]) == ("cancelled", 3)
    assert decision(network, niss, reference, 3)["outcome"] == "cancelled"
    assert network.cancel(niss, reference, kind=case.code,
                          capacity=case.capacity).json()["duplicate"] is True
    listed = decisions(network, niss, case.capacity, type=case.code)
    assert [(d["reference"], d["state"], d["decision"]["outcome"])
            for d in listed["declarations"]] == [
        (reference, "cancelled", "cancelled"), (f"{reference}-D", "accepted", "refused")]
    assert listed["declarations"][0]["data"] == {**case.data, **case.correction}
    # every decision taken stays consultable, version by version, each with its ticket
    assert [(d["version"], d["outcome"], d["ticket"])
            for d in listed["declarations"][0]["decisions"]] == [
        (1, case.outcome, body["ticket"]), (2, case.outcome, corrected.json()["ticket"]),
        (3, "cancelled", cancelled.json()["ticket"])]


# --- the decision rules ------------------------------------------------------------------------
def test_the_federal_share_of_a_living_wage_and_the_overlap_with_another_cpas(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[41]
    subscribe(network)
    network.integrate(niss, 2)
    network.integrate(niss, 2, who="cpas-liege")
    grant = granted(network, niss, "federal-intervention", "RIS-41",
                    {"category": "family", "start": day(-30), "end": day(10),
                     "monthly_amount": 1700.0}, 2)
    assert (grant["refund_percent"], grant["federal_amount"]) == (55.0, 935.0)
    liege = network.declare(niss, "LG-41", {"category": "single", "start": day(0),
                                            "end": day(30), "monthly_amount": 1000.0},
                            kind="federal-intervention", who="cpas-liege")
    assert liege.json()["state"] == "received"
    listed = wait_decided(network, niss, "cpas-liege", 2, "LG-41")
    assert (listed["outcome"], listed["reason"]) == ("refused", "overlap")
    over = granted(network, niss, "federal-intervention", "RIS-41B",
                   {"category": "cohabitant", "start": day(11), "end": day(40),
                    "monthly_amount": 900.0}, 2)
    assert (over["outcome"], over["reason"]) == ("refused", "over-limit")
    after = granted(network, niss, "federal-intervention", "RIS-41C",
                    {"category": "cohabitant", "start": day(11), "end": day(40),
                     "monthly_amount": 850.0}, 2)
    assert after["granted"] is True  # the day after the first period: no overlap


def wait_decided(network: DeclarationNetwork, niss: str, who: str, capacity: int,
                 reference: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = decisions(network, niss, capacity, who=who, reference=reference)
        if listed["decision"] is not None:
            found: dict[str, Any] = listed["decision"]
            return found
        time.sleep(0.05)
    raise AssertionError(f"{reference} was not decided")


def test_the_law_of_1965_refunds_in_full_a_foreigner_not_in_the_population_register(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[42]
    subscribe(network)
    network.integrate(niss, 4)
    full = granted(network, niss, "federal-intervention-wet65", "W65-42", {
        "form": "A", "beneficiary": "foreigner-not-registered", "start": day(-30),
        "end": day(0), "amount": 800.0}, 4)
    assert (full["refund_percent"], full["federal_amount"]) == (100.0, 800.0)
    share = granted(network, niss, "federal-intervention-wet65", "W65-42B", {
        "form": "B", "beneficiary": "registered-foreigner", "start": day(1),
        "end": day(30), "amount": 800.0}, 4)
    assert (share["refund_percent"], share["federal_amount"]) == (55.0, 440.0)
    recovered = granted(network, niss, "recovered-amount-wet65", "REC-42", {
        "form": "F", "grant_reference": "W65-42", "start": day(-20), "end": day(-10),
        "recovered_on": day(0), "amount": 100.0}, 4)
    assert (recovered["refund_percent"], recovered["federal_amount"]) == (100.0, 100.0)


def test_an_installation_premium_is_granted_once_and_within_its_limit(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[43]
    subscribe(network)
    network.integrate(niss, 2)
    over = granted(network, niss, "installation-premium", "IP-43",
                   {"grant_date": day(-10), "amount": 1600.0}, 2)
    assert (over["outcome"], over["reason"]) == ("refused", "over-limit")
    first = granted(network, niss, "installation-premium", "IP-43B",
                    {"grant_date": day(-9), "amount": 1400.0}, 2)
    assert (first["granted"], first["federal_amount"]) == (True, 1400.0)
    second = granted(network, niss, "installation-premium", "IP-43C",
                     {"grant_date": day(-1), "amount": 500.0}, 2)
    assert (second["outcome"], second["reason"]) == ("refused", "already-granted")


def test_a_recovery_or_an_end_rests_on_a_grant_of_the_same_cpas_and_within_it(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[44]
    subscribe(network)
    network.integrate(niss, 2)
    granted(network, niss, "federal-intervention", "G-44", {
        "category": "single", "start": day(-60), "end": day(30), "monthly_amount": 1000.0}, 2)
    unknown = granted(network, niss, "recovered-amount", "R-44", {
        "grant_reference": "NO-SUCH-GRANT", "start": day(-50), "end": day(-40),
        "recovered_on": day(0), "amount": 50.0}, 2)
    assert unknown["reason"] == "no-grant"
    outside = granted(network, niss, "recovered-amount", "R-44B", {
        "grant_reference": "G-44", "start": day(-90), "end": day(-40),
        "recovered_on": day(0), "amount": 50.0}, 2)
    assert outside["reason"] == "outside-grant"
    inside = granted(network, niss, "recovered-amount", "R-44C", {
        "grant_reference": "G-44", "start": day(-50), "end": day(-40),
        "recovered_on": day(0), "amount": 50.0}, 2)
    assert (inside["outcome"], inside["refund_percent"], inside["federal_amount"]) == (
        "registered", 55.0, 27.5)
    late = granted(network, niss, "grant-end", "E-44", {
        "grant_reference": "G-44", "last_day": day(31), "reason": "moved"}, 2)
    assert late["reason"] == "outside-grant"


def test_the_household_income_above_the_ceiling_and_a_report_to_oneself_are_refused(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[45]
    subscribe(network)
    network.integrate(niss, 40)
    network.integrate(niss, 2)
    # 23,616.89 + 2 x 4,372.30 = 32,361.49
    assert granted(network, niss, "household-income", "HI-45", {
        "income_year": TODAY.year - 1, "taxable_income": 32361.49, "dependants": 2,
        "assessed_on": day(0)}, 40)["outcome"] == "eligible"
    above = granted(network, niss, "household-income", "HI-45B", {
        "income_year": TODAY.year - 1, "taxable_income": 32361.50, "dependants": 2,
        "assessed_on": day(0)}, 40)
    assert (above["outcome"], above["reason"]) == ("refused", "above-ceiling")
    own = granted(network, niss, "social-report", "SR-45", {
        "recipient": DEMO_CBE, "subject": "follow-up", "written_on": day(0),
        "summary": "To myself."}, 2)
    assert own["reason"] == "own-institution"


# --- who may ------------------------------------------------------------------------------------
def test_a_decision_reaches_only_the_declarant_and_others_may_not_declare_or_consult(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[46]
    subscribe(network)
    subscribe(network, "cpas-liege")
    network.integrate(niss, 1)
    network.integrate(niss, 1, who="cpas-liege")
    granted(network, niss, "alert-reaction", "AL-46", {
        "alert_id": "A-46", "reaction": "unjustified", "reacted_on": day(0)}, 1)
    assert feed(network, niss, "cpas-liege") == []  # addressed to the declarant only
    assert decisions(network, niss, 1, who="cpas-liege")["declarations"] == []
    network.integrate(niss, 1, who="inspection-sociale")
    inspection = network.declare(niss, "AL-46", {
        "alert_id": "A-46", "reaction": "unjustified", "reacted_on": day(0)},
        kind="alert-reaction", capacity=1, who="inspection-sociale")
    assert (inspection.status_code, inspection.json()["code"]) == (403, "no-deliberation")
    asked = network.consult("spp-decisions", niss, capacity=1, who="inspection-sociale")
    assert (asked.status_code, asked.json()["code"]) == (403, "no-deliberation")
    other = network.cancel(niss, "AL-46", kind="alert-reaction", capacity=1, who="cpas-liege")
    assert (other.status_code, other.json()["code"]) == (404, "unknown-declaration")


@pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])
def test_a_caller_without_the_right_is_refused_each_exchange_and_journaled(
    declaration_network: DeclarationNetwork, case: Case,
) -> None:
    network, niss = declaration_network, declaration_network.persons[47]
    if "cpas-publish" not in network.tokens:
        network.log_in("cpas-publish", DEMO_CPAS_SLUG, role="social-worker",
                       scope=Scope.PUBLISH)
    network.integrate(niss, case.capacity)
    reference = f"NO-RIGHT-{case.code.upper()}"
    scopeless = network.declare(niss, reference, case.data, kind=case.code,
                                capacity=case.capacity, who="cpas-publish")
    assert (scopeless.status_code, scopeless.json()["code"]) == (403, "forbidden")
    # an institution of another kind, with its own file on the person: no deliberation lets
    # it declare to the SPP IS (nor, with a code no type allows, does its quality code)
    network.integrate(niss, 2, who="slrb")
    housing = network.declare(niss, reference, case.data, kind=case.code, capacity=2,
                              who="slrb")
    expected = "no-deliberation" if 2 in ALLOWED[case.code] else "declaration-type-not-allowed"
    assert (housing.status_code, housing.json()["code"]) == (403, expected)
    record = journal.by_ticket(network.engine, housing.json()["ticket"])
    assert record is not None
    assert (record.entry.action, record.entry.outcome, record.entry.sources) == (
        "declare", expected, ())  # journaled, and it reached no source
    asked = network.consult("spp-decisions", niss, capacity=2, who="slrb")
    assert (asked.status_code, asked.json()["code"]) == (403, "no-deliberation")
    # another CPAS may neither correct, cancel nor read the declarant's declaration
    sent = network.declare(niss, reference, case.data, kind=case.code, capacity=case.capacity)
    assert sent.status_code == 201, sent.text
    network.integrate(niss, case.capacity, who="cpas-liege")
    other = network.correct(niss, reference, {**case.data, **case.correction}, kind=case.code,
                            capacity=case.capacity, who="cpas-liege")
    assert (other.status_code, other.json()["code"]) == (404, "unknown-declaration")
    other = network.cancel(niss, reference, kind=case.code, capacity=case.capacity,
                           who="cpas-liege")
    assert (other.status_code, other.json()["code"]) == (404, "unknown-declaration")
    listed = decisions(network, niss, case.capacity, who="cpas-liege", reference=reference)
    assert (listed["reference"], listed["declarations"]) == (None, [])


def test_every_step_of_an_exchange_is_journaled_from_the_declaration_to_its_decision(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[48]
    subscribe(network)
    network.integrate(niss, 2)
    sent = network.declare(niss, "J-48", {"category": "single", "start": day(-10),
                                          "end": day(20), "monthly_amount": 1000.0},
                           kind="federal-intervention")
    assert sent.status_code == 201, sent.text
    assert decision(network, niss, "J-48", 1)["ticket"] == sent.json()["ticket"]
    steps = [(r.entry.action, r.entry.client, r.entry.service)
             for r in reversed(journal.by_niss(network.engine, niss))]
    declared = ("declare", DEMO_CBE, "declare-federal-intervention")
    published = ("publish-mutation", SPP_CBE, "spp-decision")
    handed = ("feed-mutation", DEMO_CBE, "spp-decision")
    assert steps.index(declared) < steps.index(published) < steps.index(handed)
    record = journal.by_ticket(network.engine, sent.json()["ticket"])
    assert record is not None and record.entry.sources == (SPP_CBE,)


def test_once_a_cpas_ends_its_grant_another_may_help_the_person_from_the_next_day(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[49]
    subscribe(network)
    subscribe(network, "cpas-liege")
    network.integrate(niss, 2)
    network.integrate(niss, 2, who="cpas-liege")
    assert granted(network, niss, "federal-intervention", "G-49", {
        "category": "single", "start": day(-60), "end": day(60), "monthly_amount": 1000.0},
        2)["granted"] is True
    moved = {"category": "single", "start": day(-9), "end": day(60), "monthly_amount": 1100.0}
    early = network.declare(niss, "LG-49", moved, kind="federal-intervention", who="cpas-liege")
    assert early.status_code == 201, early.text
    assert wait_decided(network, niss, "cpas-liege", 2, "LG-49")["reason"] == "overlap"
    assert granted(network, niss, "grant-end", "END-49", {
        "grant_reference": "G-49", "last_day": day(-10), "reason": "moved"}, 2)[
        "outcome"] == "registered"
    later = network.declare(niss, "LG-49B", moved, kind="federal-intervention",
                            who="cpas-liege")
    assert later.status_code == 201, later.text
    assert wait_decided(network, niss, "cpas-liege", 2, "LG-49B")["granted"] is True
    past = granted(network, niss, "recovered-amount", "REC-49", {
        "grant_reference": "G-49", "start": day(-9), "end": day(-1), "recovered_on": day(0),
        "amount": 50.0}, 2)
    assert (past["outcome"], past["reason"]) == ("refused", "outside-grant")


# --- what rests on a grant follows it ----------------------------------------------------------
RIS = "federal-intervention"


def history(network: DeclarationNetwork, niss: str, reference: str) -> list[tuple[Any, ...]]:
    """The decisions taken on a declaration, version by version, as the CPAS consults them."""
    listed = decisions(network, niss, 2, reference=reference)
    return [(d["version"], d["outcome"], d["reason"])
            for d in listed["declarations"][0]["decisions"]]


def test_cancelling_a_grant_annuls_the_recovery_and_the_end_resting_on_it(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[51]
    subscribe(network)
    network.integrate(niss, 2)
    assert granted(network, niss, RIS, "G-51", {"category": "single", "start": day(-60),
                                                "end": day(30), "monthly_amount": 1000.0},
                   2)["granted"] is True
    recovery = {"grant_reference": "G-51", "start": day(-50), "end": day(-40),
                "recovered_on": day(0), "amount": 50.0}
    assert granted(network, niss, "recovered-amount", "REC-51", recovery, 2)["granted"]
    assert granted(network, niss, "recovered-amount", "REC-51B", {
        **recovery, "start": day(-90)}, 2)["reason"] == "outside-grant"
    assert granted(network, niss, "grant-end", "END-51", {
        "grant_reference": "G-51", "last_day": day(10), "reason": "work"}, 2)["granted"]

    cancelled = network.cancel(niss, "G-51", kind=RIS)
    assert cancelled.status_code == 200, cancelled.text
    assert decision(network, niss, "G-51", 2)["outcome"] == "cancelled"
    for reference in ("REC-51", "END-51"):  # each annulled, a version of its own
        annulled = decision(network, niss, reference, 2)
        assert (annulled["outcome"], annulled["granted"], annulled["reason"]) == (
            "annulled", False, "grant-cancelled")
        assert annulled["ticket"] == cancelled.json()["ticket"]  # the step that caused it
        assert annulled["cause"] == {"type": RIS, "reference": "G-51", "version": 2}
    assert history(network, niss, "REC-51") == [
        (1, "registered", None), (2, "annulled", "grant-cancelled")]
    assert history(network, niss, "REC-51B") == [(1, "refused", "outside-grant")]  # untouched
    # the annulled recovery is the CPAS's still: pointed at another grant, decided as usual
    assert granted(network, niss, RIS, "G-51C", {"category": "single", "start": day(-60),
                                                 "end": day(30), "monthly_amount": 1000.0},
                   2)["granted"] is True  # the end of G-51 went with it: no overlap either
    moved = network.correct(niss, "REC-51", {**recovery, "grant_reference": "G-51C"},
                            kind="recovered-amount")
    assert (moved.status_code, moved.json()["version"]) == (200, 3), moved.text
    assert decision(network, niss, "REC-51", 3)["outcome"] == "registered"


def test_a_grant_corrected_or_refused_annuls_only_what_it_no_longer_holds(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[52]
    subscribe(network)
    network.integrate(niss, 2)
    grant = {"category": "single", "start": day(-60), "end": day(30), "monthly_amount": 1000.0}
    granted(network, niss, RIS, "G-52", grant, 2)
    early = {"grant_reference": "G-52", "start": day(-50), "end": day(-40),
             "recovered_on": day(0), "amount": 50.0}
    assert granted(network, niss, "recovered-amount", "REC-52", early, 2)["granted"]
    assert granted(network, niss, "recovered-amount", "REC-52B", {
        **early, "start": day(-20), "end": day(-10)}, 2)["granted"]
    assert granted(network, niss, "grant-end", "END-52", {
        "grant_reference": "G-52", "last_day": day(10), "reason": "work"}, 2)["granted"]

    later = network.correct(niss, "G-52", {**grant, "start": day(-30)}, kind=RIS)
    assert later.status_code == 200, later.text
    assert decision(network, niss, "G-52", 2)["granted"] is True
    assert decision(network, niss, "REC-52", 2)["reason"] == "outside-grant"
    assert history(network, niss, "REC-52B") == [(1, "registered", None)]
    assert history(network, niss, "END-52") == [(1, "registered", None)]

    over = network.correct(niss, "G-52", {**grant, "start": day(-30),
                                          "monthly_amount": 2000.0}, kind=RIS)
    assert over.status_code == 200, over.text
    assert decision(network, niss, "G-52", 3)["reason"] == "over-limit"
    for reference in ("REC-52B", "END-52"):
        assert decision(network, niss, reference, 2)["reason"] == "grant-refused"
    assert history(network, niss, "REC-52") == [
        (1, "registered", None), (2, "annulled", "outside-grant")]  # annulled once only


# --- a decision the hub could not take ---------------------------------------------------------
def outbox_rows(network: DeclarationNetwork, reference: str) -> list[tuple[str, int]]:
    """The SPP IS's publications of the decisions on ``reference``: (state, attempts)."""
    url = next(s.database_url for s in network.report.sources if s.slug == "spp-is")
    engine = create_engine(url)
    publications = outbox.table(SPP_IS)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(publications.c.state, publications.c.attempts,
                                             publications.c.mutation)
                                      .order_by(publications.c.id)).all()
    finally:
        engine.dispose()
    return [(r.state, r.attempts) for r in rows
            if orjson.loads(r.mutation)["data"].get("reference") == reference]


def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        time.sleep(0.05)


def test_a_decision_the_hub_could_not_take_reaches_the_cpas_once_it_answers_again(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[53]
    subscribe(network)
    network.integrate(niss, 2)
    data = {"category": "single", "start": day(-10), "end": day(20), "monthly_amount": 1000.0}
    knocked = network.gate.knocks
    network.gate.refusing = True
    try:
        assert network.declare(niss, "OUT-53", data, kind=RIS).status_code == 201
        # tried, and tried again, for longer than any try of its own would last
        eventually(lambda: network.gate.knocks >= knocked + 6)
        assert feed(network, niss) == [] and outbox_rows(network, "OUT-53")[0][0] == "pending"
    finally:
        network.gate.refusing = False
    assert decision(network, niss, "OUT-53", 1)["granted"] is True
    # the hub took the correction's decision but its answer was lost: sent again, kept once
    knocked = network.gate.knocks
    network.gate.losing = True
    try:
        assert network.correct(niss, "OUT-53", {**data, "monthly_amount": 1100.0},
                               kind=RIS).status_code == 200
        eventually(lambda: network.gate.knocks >= knocked + 1)
    finally:
        network.gate.losing = False
    eventually(lambda: [s for s, _ in outbox_rows(network, "OUT-53")] == ["published"] * 2)
    assert outbox_rows(network, "OUT-53")[1][1] >= 2  # published more than once...
    assert decision(network, niss, "OUT-53", 2)["federal_amount"] == 605.0
    events = {(e["id"], e["data"]["changes"]["version"]) for e in feed(network, niss)}
    assert sorted(version for _, version in events) == [1, 2]  # ...and delivered once
    sent = [m.source_ref for m in network.mutations(niss) if m.type == "spp-decision"]
    assert len(sent) == 2 and sent[0].endswith("/1") and sent[1].endswith("/2")
