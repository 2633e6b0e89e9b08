"""Routing and client kinds on the CPAS catalogue: job seekers at the service of their region,
a file under investigation sees less, regional employment services and mutualities as clients."""

from __future__ import annotations

import orjson

from tests.catalogue.conftest import CatalogueNetwork


def first_file(network: CatalogueNetwork, slug: str, where: str = "1=1") -> str:
    rows = network.source_rows(slug, f"SELECT niss FROM files WHERE {where} ORDER BY niss")
    assert rows, f"no file at {slug}"
    return str(rows[0][0])


def test_a_job_seeker_is_asked_at_the_service_of_their_region_only(
    network: CatalogueNetwork,
) -> None:
    for slug, name in (("vdab", "VDAB"), ("forem", "Le Forem"), ("actiris", "Actiris")):
        niss = first_file(network, slug)
        network.integrate(niss, 2)
        body = network.consult("job-seeker", niss, capacity=2).json()
        assert [s["name"] for s in body["sources"]] == [name]
        assert body["data"]["service"] == slug.upper() and body["data"]["registered"] is True


def test_a_person_who_seeks_no_job_has_no_regional_file(network: CatalogueNetwork) -> None:
    seekers = {str(r[0]) for slug in ("vdab", "forem", "actiris")
               for r in network.source_rows(slug, "SELECT niss FROM files")}
    niss = next(str(r[0]) for r in network.source_rows("national-register",
                                                       "SELECT niss FROM persons")
                if str(r[0]) not in seekers)
    network.integrate(niss, 2)
    response = network.consult("job-seeker", niss, capacity=2)
    assert (response.status_code, response.json()["code"]) == (404, "no-source")


def test_a_file_under_investigation_sees_less_than_a_living_wage_file(
    network: CatalogueNetwork,
) -> None:
    niss = first_file(network, "spf-finances")
    network.integrate(niss, 1)
    network.integrate(niss, 2)
    investigation = network.consult("tax-assessment", niss, capacity=1).json()
    living_wage = network.consult("tax-assessment", niss, capacity=2).json()
    assert set(investigation["data"]) == {"last_income_year", "household_taxable_income"}
    assert "assessments" in living_wage["data"] and "taxable_income" in living_wage["data"]
    assert investigation["deliberation"] != living_wage["deliberation"]


def test_a_regional_employment_service_sees_temporary_unemployment_of_its_job_seekers(
    network: CatalogueNetwork,
) -> None:
    unemployed = {str(r[0]) for r in network.source_rows(
        "onem", "SELECT niss FROM unemployment_periods")}
    niss = next(str(r[0]) for r in network.source_rows("vdab", "SELECT niss FROM files")
                if str(r[0]) in unemployed)
    response = network.consult("unemployment", niss, capacity=1, who="vdab")
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"periods", "temporary_unemployment_days",
                                            "currently_unemployed"}
    refused = network.consult("dmfa-quarters", niss, capacity=1, who="vdab")
    assert refused.json()["code"] == "no-deliberation"


def test_a_mutuality_sees_the_living_wage_of_its_member(network: CatalogueNetwork) -> None:
    members = {str(r[0]) for r in network.source_rows("mc-cm", "SELECT niss FROM members")}
    niss = next(str(r[0]) for r in network.source_rows("spp-is", "SELECT niss FROM files")
                if str(r[0]) in members)
    response = network.consult("living-wage-attestations", niss, capacity=1, who="mc-cm")
    assert response.status_code == 200, response.text
    attestations = response.json()["data"]["attestations"]
    assert attestations and {a["form"] for a in attestations} <= {"A036", "L036"}


def test_history_lists_are_cut_to_the_requested_window(network: CatalogueNetwork) -> None:
    niss = first_file(network, "spp-is")
    network.integrate(niss, 2)
    everything = network.consult("living-wage-attestations", niss, capacity=2).json()
    first = everything["data"]["attestations"][0]
    window = network.consult("living-wage-attestations", niss, capacity=2,
                             **{"from": first["start"], "to": first["start"]}).json()
    assert window["data"]["attestations"] == [first]


def test_the_employer_directory_answers_by_enterprise_number(network: CatalogueNetwork) -> None:
    key, data = network.source_rows("onss", "SELECT key, data FROM employers")[0]
    network_answer = network.consult("employer-directory", None, capacity=1, employer=key)
    assert network_answer.json()["data"]["name"] == orjson.loads(data)["name"]
