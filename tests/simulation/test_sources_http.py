"""The simulated sources over real HTTP, as the hub sees them (the source protocol)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from carrefour.simulation.network import institution
from carrefour.simulation.population.dossiers_regional import medical_house
from carrefour.simulation.population.population import Person, Population
from carrefour.simulation.sources.app import create_source_app
from tests.people import CAROL
from tests.servers import serving
from tests.simulation.conftest import DUPONT, token


def consult(sources: dict[str, str], slug: str, service: str, niss: str | None = None,
            parameters: dict[str, Any] | None = None, *, bearer: str | None = None,
            version: int = 1) -> httpx.Response:
    body = {"ticket": "T-1", "service": service, "version": version, "niss": niss,
            "parameters": parameters or {}}
    secret = token(institution(slug)) if bearer is None else bearer
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}  # "": no header at all
    return httpx.post(f"{sources[slug]}/v1/consult", json=body, headers=headers)


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert isinstance(document, dict)
    return document


def some_adult(population: Population) -> Person:
    return next(p for p in population.persons if p.death_date is None and p.birth_date.year < 1990)


# --- national register -----------------------------------------------------------------------
LEGAL_FIELDS = {"niss", "last_name", "first_names", "birth_date", "birth_place", "gender",
                "nationality", "civil_state", "address", "death_date"}


def test_legal_data_of_a_registered_person_has_exactly_the_service_fields(
    sources: dict[str, str], population: Population,
) -> None:
    person = some_adult(population)
    document = answer(consult(sources, "national-register", "legal-data", person.niss))
    assert document["found"] is True
    data = document["data"]
    assert set(data) == LEGAL_FIELDS
    assert data["last_name"] == person.last_name
    assert data["first_names"] == list(person.first_names)
    assert data["birth_date"] == person.birth_date.isoformat()
    household = population.household(person.household_id)
    assert data["address"] == household.address.as_dict()


def test_legal_data_of_an_unknown_person_is_not_found(sources: dict[str, str]) -> None:
    assert answer(consult(sources, "national-register", "legal-data", CAROL)) == {"found": False}


def test_a_person_registered_as_dupont_is_found_when_searched_as_dupond(
    sources: dict[str, str],
) -> None:
    parameters = {"last_name": "Dupond", "first_name": "Jean", "birth_date": "1961-04"}
    document = answer(consult(sources, "national-register", "search-person", None, parameters))
    assert document["found"] is True
    persons = document["data"]["persons"]
    assert [p["niss"] for p in persons] == [DUPONT["niss"]]
    assert set(persons[0]) == LEGAL_FIELDS


def test_a_search_narrowed_by_birth_date_and_gender_finds_only_matching_persons(
    sources: dict[str, str], population: Population,
) -> None:
    person = some_adult(population)
    parameters = {"last_name": person.last_name, "birth_date": person.birth_date.isoformat(),
                  "gender": person.gender}
    persons = answer(consult(sources, "national-register", "search-person", None,
                             parameters))["data"]["persons"]
    assert person.niss in {p["niss"] for p in persons}
    assert all(p["birth_date"] == person.birth_date.isoformat() for p in persons)
    assert all(p["gender"] == person.gender for p in persons)


def test_a_search_returns_at_most_max_results(
    sources: dict[str, str], population: Population,
) -> None:
    common = max({p.last_name for p in population.persons},
                 key=lambda n: sum(p.last_name == n for p in population.persons))
    parameters = {"last_name": common, "max_results": 3}
    persons = answer(consult(sources, "national-register", "search-person", None,
                             parameters))["data"]["persons"]
    assert len(persons) == 3


def test_a_search_nobody_answers_is_not_found(sources: dict[str, str]) -> None:
    parameters = {"last_name": "Xylophonakis", "birth_date": "1901"}
    document = answer(consult(sources, "national-register", "search-person", None, parameters))
    assert document == {"found": False}


def test_the_family_composition_lists_every_member_of_the_household(
    sources: dict[str, str], population: Population,
) -> None:
    household = next(h for h in population.households if len(h.members) >= 4)
    child = next(p for p in household.members if p.relationship == "child")
    data = answer(consult(sources, "national-register", "family-composition", child.niss))["data"]
    assert set(data) == {"household_id", "members", "address", "former_compositions"}
    assert data["household_id"] == household.id
    assert {m["niss"] for m in data["members"]} == {p.niss for p in household.members}
    assert data["members"][0]["relationship"] == "head"
    assert data["members"][0]["niss"] == household.head.niss
    assert data["address"] == household.address.as_dict()


def test_the_family_composition_gives_the_former_compositions_of_a_late_arrival(
    sources: dict[str, str], population: Population,
) -> None:
    """A member who joined the household after the head ends a composition of the head's: its
    last day is the day before the latest arrival."""
    def composition(niss: str) -> dict[str, Any]:
        return answer(consult(sources, "national-register", "family-composition", niss))["data"]

    def since(data: dict[str, Any], niss: str) -> str:
        return str(next(m["since"] for m in data["members"] if m["niss"] == niss))

    found = (composition(h.head.niss) for h in population.households[:300]
             if len(h.members) >= 2)
    data = next(d for d in found
                if since(d, d["members"][0]["niss"]) < max(m["since"] for m in d["members"]))
    head, latest = data["members"][0]["niss"], max(m["since"] for m in data["members"])
    last = data["former_compositions"][0]
    assert last["end"] == (dt.date.fromisoformat(latest) - dt.timedelta(days=1)).isoformat()
    assert head in {m["niss"] for m in last["members"]}
    assert set(last["members"][0]) == {"niss", "last_name", "first_names", "birth_date",
                                       "relationship"}
    assert all(c["end"] < c2["start"] or c["start"] > c2["end"]
               for c, c2 in zip(data["former_compositions"][1:], data["former_compositions"],
                                strict=False))


# --- ONEM ------------------------------------------------------------------------------------
def _with_two_periods(population: Population) -> str:
    counts: dict[str, int] = {}
    for period in population.unemployment:
        counts[period.niss] = counts.get(period.niss, 0) + 1
    return next(n for n, c in counts.items() if c >= 2)


def test_unemployment_periods_are_filtered_by_from_and_to(
    sources: dict[str, str], population: Population,
) -> None:
    niss = _with_two_periods(population)
    periods = sorted((u for u in population.unemployment if u.niss == niss),
                     key=lambda u: u.starts_on)
    everything = answer(consult(sources, "onem", "unemployment", niss))["data"]
    assert set(everything) == {"periods", "temporary_unemployment_days", "currently_unemployed",
                               "daily_allowance"}
    assert len(everything["periods"]) == len(periods)
    first = periods[0]
    assert first.ends_on is not None
    window = {"from": first.starts_on.isoformat(), "to": first.ends_on.isoformat()}
    chosen = answer(consult(sources, "onem", "unemployment", niss, window))["data"]["periods"]
    assert chosen[0]["start"] == first.starts_on.isoformat()
    assert all(p["start"] <= window["to"] for p in chosen)
    assert len(chosen) < len(periods)


def test_temporary_unemployment_days_add_up_and_running_unemployment_is_current(
    sources: dict[str, str], population: Population,
) -> None:
    running = next(u for u in population.unemployment if u.kind == "complete" and u.ends_on is None)
    data = answer(consult(sources, "onem", "unemployment", running.niss))["data"]
    assert data["currently_unemployed"] is True
    assert data["daily_allowance"] == running.daily_allowance_cents / 100
    temporary = sum(u.days or 0 for u in population.unemployment
                    if u.niss == running.niss and u.kind == "temporary")
    assert data["temporary_unemployment_days"] == temporary


def test_onem_has_no_file_on_a_person_never_unemployed(
    sources: dict[str, str], population: Population,
) -> None:
    unemployed = {u.niss for u in population.unemployment}
    person = next(p for p in population.persons if p.niss not in unemployed)
    assert answer(consult(sources, "onem", "unemployment", person.niss)) == {"found": False}
    assert answer(consult(sources, "onem", "social-statuses", person.niss)) == {"found": False}


# --- mutualities -----------------------------------------------------------------------------
def test_health_insurance_is_known_at_the_persons_own_mutuality_only(
    sources: dict[str, str], population: Population,
) -> None:
    insured = next(i for i in population.insurance if i.bim)
    own = institution(insured.mutuality)
    data = answer(consult(sources, own.slug, "health-insurance", insured.niss))["data"]
    assert data == {
        "mutuality": {"number": own.number, "name": own.display_name},
        "holder_code": insured.holder_code,
        "insured_from": insured.insured_from.isoformat(),
        "insured_until": None,
        "bim": True,
        "bim_since": insured.bim_since.isoformat() if insured.bim_since else None,
        "third_party_payer": True,
        "medical_house": medical_house(insured.niss),
    }
    for other in ("mc-cm", "solidaris", "mutualites-libres"):
        if other != own.slug:
            assert answer(consult(sources, other, "health-insurance", insured.niss)) == {
                "found": False}


def test_social_statuses_come_from_onem_and_the_mutuality(
    sources: dict[str, str], population: Population,
) -> None:
    period = next(u for u in population.unemployment if u.kind == "temporary")
    insured = next(i for i in population.insurance if i.niss == period.niss)
    onem = answer(consult(sources, "onem", "social-statuses", period.niss))["data"]
    assert set(onem) == {"currently_unemployed", "temporary_unemployment_days"}
    assert onem["temporary_unemployment_days"] > 0
    mutuality = answer(consult(sources, insured.mutuality, "social-statuses", period.niss))
    assert mutuality["data"]["bim"] is insured.bim
    assert set(mutuality["data"]) == {"bim", "mutuality"}


# --- protocol errors -------------------------------------------------------------------------
def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document = response.json()
    assert document["status"] == status and document["code"] == code
    assert document["type"] == f"/problems/{code}" and document["title"] and document["detail"]
    return dict(document)


@pytest.mark.parametrize("bearer", ["wrong", ""])
def test_a_wrong_or_missing_token_is_refused_with_401(
    sources: dict[str, str], population: Population, bearer: str,
) -> None:
    response = consult(sources, "national-register", "legal-data", population.persons[0].niss,
                       bearer=bearer)
    _problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_token_of_another_source_is_refused(
    sources: dict[str, str], population: Population,
) -> None:
    response = consult(sources, "onem", "unemployment", population.persons[0].niss,
                       bearer=token(institution("national-register")))
    _problem(response, 401, "unauthenticated")


@pytest.mark.parametrize(("slug", "service", "version"), [
    ("onem", "legal-data", 1),  # in the catalogue, not at this source
    ("national-register", "tax-assessment", 1),  # not in the catalogue
    ("national-register", "legal-data", 7),  # a version that does not exist
])
def test_a_service_the_source_does_not_answer_is_404(
    sources: dict[str, str], population: Population, slug: str, service: str, version: int,
) -> None:
    response = consult(sources, slug, service, population.persons[0].niss, version=version)
    _problem(response, 404, "unknown-service")


@pytest.mark.parametrize(("slug", "service", "niss", "parameters", "code"), [
    ("onem", "unemployment", "ok", {"from": "2021-13-01"}, "invalid-input"),
    ("onem", "unemployment", "ok", {"from": "2021-06-01", "to": "2021-01-01"}, "invalid-period"),
    ("onem", "unemployment", "ok", {"since": "2021-01-01"}, "invalid-input"),
    ("onem", "unemployment", "12345678901", {}, "invalid-niss"),
    ("onem", "unemployment", None, {}, "invalid-input"),
    ("national-register", "search-person", None, {"first_name": "Jean"}, "invalid-input"),
    ("national-register", "search-person", None, {"last_name": "Dupont", "max_results": 0},
     "invalid-input"),
    ("national-register", "search-person", None, {"last_name": "Dupont", "gender": "X"},
     "invalid-input"),
])
def test_bad_parameters_are_refused_with_422(
    sources: dict[str, str], population: Population, slug: str, service: str,
    niss: str | None, parameters: dict[str, Any], code: str,
) -> None:
    number = population.persons[0].niss if niss == "ok" else niss
    _problem(consult(sources, slug, service, number, parameters), 422, code)


def test_a_body_that_is_not_a_consultation_is_refused_with_422(sources: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {token(institution('onem'))}"}
    for body in (b"not json", b"[]", b'{"service": "unemployment"}'):
        response = httpx.post(f"{sources['onem']}/v1/consult", content=body, headers=headers)
        _problem(response, 422, "invalid-input")


def test_the_health_check_says_the_kind_and_how_many_persons(
    sources: dict[str, str], population: Population,
) -> None:
    health = httpx.get(f"{sources['national-register']}/v1/health").json()
    assert health["status"] == "ok" and health["kind"] == "national-register"
    assert health["persons"] == len(population.persons) + 1  # and Dupont
    members = sum(1 for i in population.insurance if i.mutuality == "solidaris")
    assert httpx.get(f"{sources['solidaris']}/v1/health").json()["persons"] == members


def test_a_source_whose_database_is_broken_answers_500_and_its_health_503(
    tmp_path: Path,
) -> None:
    member = institution("onem")
    app = create_source_app("onem", database_url=f"sqlite:///{tmp_path / 'missing.sqlite3'}",
                            token=token(member), name="ONEM")
    with serving(app) as url:
        body = {"ticket": "T", "service": "unemployment", "version": 1, "niss": CAROL,
                "parameters": {}}
        response = httpx.post(f"{url}/v1/consult", json=body,
                              headers={"Authorization": f"Bearer {token(member)}"})
        _problem(response, 500, "internal-error")
        health = httpx.get(f"{url}/v1/health")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
