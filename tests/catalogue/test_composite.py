"""Composite services: the social inquiry and the full picture ask their parts' sources at
once, check every part against its own deliberation and answer with every part's status."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from carrefour.catalogue.model import default_catalogue
from carrefour.directory.domain import Deliberation, Institution, Role
from carrefour.errors import SourceTimeout, SourceUnavailable
from carrefour.exchange import composite
from carrefour.exchange.gateway import SourceOutcome, Status
from carrefour.journal.tables import journal_entries
from tests.catalogue.conftest import CatalogueNetwork

SLOW = 0.5


def integrated(network: CatalogueNetwork, code: int = 2, end: str | None = None) -> str:
    """A person with files at the ONSS, SPF Finances and INAMI, integrated by the CPAS."""
    files = [{str(r[0]) for r in network.source_rows(slug, "SELECT niss FROM files")}
             for slug in ("onss", "spf-finances", "inami")]
    niss = sorted(files[0] & files[1] & files[2])[0]
    network.integrate(niss, code, end=end)
    return niss


def test_the_social_inquiry_answers_its_four_parts_in_one_answer(
    network: CatalogueNetwork,
) -> None:
    niss = integrated(network)
    body = network.consult("social-inquiry", niss, capacity=2).json()
    parts = body["data"]
    assert list(parts) == ["legal-data", "family-composition", "address-history",
                           "waiting-register"]
    assert parts["legal-data"]["status"] == "ok" and parts["legal-data"]["data"]["niss"] == niss
    assert parts["family-composition"]["data"]["members"]
    assert parts["address-history"]["data"]["addresses"][0]["end"] is None
    assert parts["waiting-register"]["status"] in ("ok", "not-found")
    assert body["status"] == "ok" and "CSI/18/164" in body["deliberation"]


def test_the_full_picture_reports_every_part_and_refuses_parts_without_deliberation(
    network: CatalogueNetwork,
) -> None:
    niss = integrated(network, code=1)
    body = network.consult("full-picture", niss, capacity=1).json()
    parts = body["data"]
    assert parts["dmfa-quarters"]["status"] == "no-deliberation"
    assert parts["tax-assessment"]["status"] == "ok"
    assert set(parts["tax-assessment"]["data"]) == {"last_income_year",
                                                    "household_taxable_income"}
    assert parts["work-incapacity"]["data"] == {
        "currently_incapacitated": parts["work-incapacity"]["data"]["currently_incapacitated"]}
    assert all("status" in part for part in parts.values())


def test_a_slow_and_a_failing_source_cost_the_slowest_not_the_sum(
    network: CatalogueNetwork,
) -> None:
    niss = integrated(network)
    network.consult("full-picture", niss, capacity=2)  # warm the connections
    for slug in ("onss", "spf-finances", "inami"):
        network.controls[slug].delay = SLOW
    network.controls["national-register"].broken = True
    started = time.perf_counter()
    body = network.consult("full-picture", niss, capacity=2).json()
    elapsed = time.perf_counter() - started
    parts = body["data"]
    assert SLOW <= elapsed < 2 * SLOW, elapsed  # three slow sources: not 3 x SLOW
    assert body["status"] == "partial"
    assert parts["legal-data"]["status"] == "source-unavailable"
    assert parts["dmfa-quarters"]["status"] == "ok" and parts["dmfa-quarters"]["data"]
    assert parts["work-incapacity"]["status"] == "ok"
    onss = [s for s in parts["dimona-periods"]["sources"]]
    assert [s["status"] for s in onss] == ["ok"]


def test_a_source_beyond_the_timeout_is_reported_and_the_others_answer(
    network: CatalogueNetwork,
) -> None:
    niss = integrated(network)
    network.controls["inami"].delay = 2.5  # the hub waits 2 s
    body = network.consult("full-picture", niss, capacity=2).json()
    assert body["data"]["work-incapacity"]["status"] == "source-timeout"
    assert body["data"]["tax-assessment"]["status"] == "ok"
    assert body["status"] == "partial"


def test_a_composite_whose_every_part_is_refused_is_refused(network: CatalogueNetwork) -> None:
    in_a_month = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    niss = integrated(network, code=20, end=in_a_month)  # code 020 has no maximum duration
    response = network.consult("social-inquiry", niss, capacity=20)
    assert (response.status_code, response.json()["code"]) == (403, "no-deliberation")
    assert response.json()["ticket"]


def test_the_persons_a_search_part_returns_are_named_for_the_journal() -> None:
    search = default_catalogue().get("search-person")
    grant = Deliberation(id=1, reference="CSI/12/001", title="t", client_kind="cpas",
                         quality_codes=frozenset({2}), service=search.name,
                         fields=frozenset({"last_name"}), valid_from=dt.date(2012, 1, 1),
                         valid_until=None)
    register = Institution(id=1, cbe="0362475538", name_fr="RN", name_nl="RR", sector=0,
                           subsector=0, kind="national-register", role=Role.SOURCE)
    plan = composite.CompositePlan(parts=(composite.PartPlan(service=search, grant=grant,
                                                             targets=(register,)),))
    answer = {"persons": [{"niss": "85073003328", "last_name": "Dupont"}]}
    status, data, found = composite.answer(plan, [SourceOutcome(register, Status.OK, answer)])
    assert status == "ok" and found == ("85073003328",)
    assert data["search-person"]["data"] == {"persons": [{"last_name": "Dupont"}]}


def test_a_composite_whose_every_part_failed_answers_the_failure_of_its_sources(
    network: CatalogueNetwork,
) -> None:
    niss = integrated(network)
    for control in network.controls.values():
        control.broken = True
    response = network.consult("full-picture", niss, capacity=2)
    body = response.json()
    assert (response.status_code, body["code"]) == (502, "source-unavailable"), body
    assert body["ticket"] and "data" not in body
    with network.engine.connect() as connection:
        outcome = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.ticket == body["ticket"])).scalar_one()
    assert outcome == "source-unavailable"


def _part(service: str, kind: str) -> tuple[composite.PartPlan, Institution]:
    grant = Deliberation(id=1, reference="CSI/12/001", title="t", client_kind="cpas",
                         quality_codes=frozenset({2}), service=service,
                         fields=frozenset({"niss"}), valid_from=dt.date(2012, 1, 1),
                         valid_until=None)
    source = Institution(id=1, cbe="0362475538", name_fr=kind, name_nl=kind, sector=0,
                         subsector=0, kind=kind, role=Role.SOURCE)
    part = composite.PartPlan(service=default_catalogue().get(service), grant=grant,
                              targets=(source,))
    return part, source


def test_a_composite_whose_every_source_timed_out_answers_source_timeout() -> None:
    (legal, register), (tax, finances) = _part("legal-data", "national-register"), _part(
        "tax-assessment", "spf-finances")
    plan = composite.CompositePlan(parts=(legal, tax))
    outcomes = [SourceOutcome(register, Status.TIMEOUT), SourceOutcome(finances, Status.TIMEOUT)]
    with pytest.raises(SourceTimeout):
        composite.answer(plan, outcomes)
    outcomes[1] = SourceOutcome(finances, Status.UNAVAILABLE)
    with pytest.raises(SourceUnavailable):
        composite.answer(plan, outcomes)


def test_a_composite_with_one_part_not_found_and_the_others_failed_is_partial() -> None:
    (legal, register), (tax, finances) = _part("legal-data", "national-register"), _part(
        "tax-assessment", "spf-finances")
    plan = composite.CompositePlan(parts=(legal, tax))
    outcomes = [SourceOutcome(register, Status.UNAVAILABLE),
                SourceOutcome(finances, Status.NOT_FOUND)]
    status, data, _found = composite.answer(plan, outcomes)
    assert status == "partial" and data["tax-assessment"]["status"] == "not-found"
