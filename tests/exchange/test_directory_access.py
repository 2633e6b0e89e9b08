"""Listing a person's integrations ("known elsewhere?") is a consultation like any other: the
caller's own active file on the person, a deliberation saying which sectors' files and which
of their fields it sees, and a journal entry — refusals included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from carrefour.directory import repository as repo
from carrefour.directory.tables import integrations
from carrefour.journal import services as journal
from tests.exchange.conftest import USER, Network, cbe
from tests.people import ALICE

SERVICE = "person-integrations"
CPAS_SECTOR, MUTUALITY_SECTOR = 17, 11


def listed(network: Network, niss: str, *, capacity: int = 2, who: str = "cpas"
           ) -> httpx.Response:
    params = {"capacity": capacity, "end_user_id": USER["id"], "end_user_role": USER["role"]}
    with network.client(who) as client:
        return client.get(f"/v1/persons/{niss}/integrations", params=params)


def file_at(network: Network, who: str, niss: str, code: int, *,
            start: dt.date | None = None, end: dt.date | None = None) -> None:
    """A file of an institution that integrates its persons outside the hub's API (a
    mutuality's insurability files, written by the seeding of the network)."""
    values = repo.integration_values(
        niss=niss, institution_id=network.institutions[who].id, quality_code=code,
        starts_on=start or dt.date.today() - dt.timedelta(days=30), ends_on=end,
        now=dt.datetime.now(dt.UTC))
    with network.engine.begin() as connection:
        connection.execute(integrations.insert().values(**values))


def join(network: Network, who: str, *, kind: str, sector: int, serial: int) -> None:
    """A new client institution, registered by the operator, with a token of its own."""
    body: dict[str, Any] = {"cbe": cbe(serial), "name_fr": who, "name_nl": who,
                            "sector": sector, "subsector": 1, "kind": kind, "role": "client"}
    with network.client("operator") as operator:
        assert operator.post("/v1/admin/institutions", json=body).status_code == 201
        made = operator.post(f"/v1/admin/institutions/{cbe(serial)}/credentials",
                             json={"scopes": ["consult"]}).json()
    token = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": made["client_id"],
        "client_secret": made["client_secret"]}).json()
    network.tokens[who] = token["access_token"]


def by_sector(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["sector"], []).append(row)
    return found


def test_a_caller_without_a_file_on_the_person_is_refused_and_journaled(network: Network) -> None:
    assert network.integrate(ALICE, code=7, who="other-cpas").status_code == 201
    response = listed(network, ALICE)
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["code"] == "not-integrated"
    assert "OCMW Gent" not in response.text
    entry = journal.by_ticket(network.engine, problem["ticket"]).entry
    assert (entry.service, entry.niss, entry.outcome) == (SERVICE, ALICE, "not-integrated")
    assert entry.client == network.institutions["cpas"].cbe


def test_the_capacity_claimed_must_be_the_callers_own_file(network: Network) -> None:
    network.integrate(ALICE, code=2)
    assert listed(network, ALICE, capacity=7).json()["code"] == "not-integrated"
    assert listed(network, ALICE, capacity=2).status_code == 200


def test_a_kind_of_institution_without_deliberation_is_refused_and_journaled(
    network: Network,
) -> None:
    join(network, "insurer", kind="mutuality", sector=MUTUALITY_SECTOR, serial=20)
    assert network.integrate(ALICE, code=1, who="insurer").status_code == 201
    network.integrate(ALICE, code=2)
    response = listed(network, ALICE, capacity=1, who="insurer")
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "no-deliberation"
    entry = journal.by_ticket(network.engine, response.json()["ticket"]).entry
    assert (entry.service, entry.outcome, entry.quality_code) == (SERVICE, "no-deliberation", 1)


def test_a_cpas_sees_every_sectors_files_and_the_holder_of_cpas_files_only(
    network: Network,
) -> None:
    network.integrate(ALICE, code=2)
    network.integrate(ALICE, code=7, who="other-cpas")
    file_at(network, "mutuality-a", ALICE, 1)
    response = listed(network, ALICE)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = by_sector(body["integrations"])
    assert sorted(rows) == [MUTUALITY_SECTOR, CPAS_SECTOR]
    own, other = sorted(rows[CPAS_SECTOR], key=lambda r: not r["own"])
    assert (own["own"], own["institution"], own["quality_code"]) == (
        True, network.institutions["cpas"].cbe, 2)
    assert (other["own"], other["institution_name"], other["quality_code"]) == (
        False, "OCMW Gent", 7)
    [insurer] = rows[MUTUALITY_SECTOR]
    assert insurer["quality_code"] == 1 and insurer["own"] is False
    assert "start" in insurer and "end" in insurer
    assert "institution" not in insurer and "institution_name" not in insurer
    assert "mutuality-a" not in response.text
    assert body["deliberation"]


def test_the_listing_is_journaled_about_the_person(network: Network) -> None:
    network.integrate(ALICE, code=2)
    body = listed(network, ALICE).json()
    entry = journal.by_ticket(network.engine, body["ticket"]).entry
    assert (entry.action, entry.service, entry.niss, entry.outcome) == (
        "consult", SERVICE, ALICE, "ok")
    assert entry.deliberation == body["deliberation"]
    assert entry.sources == (network.institutions["bis-register"].cbe,)


def test_ended_and_expired_integrations_are_not_listed(network: Network) -> None:
    network.integrate(ALICE, code=2)
    network.integrate(ALICE, code=1, who="other-cpas", start="2020-01-01", end="2020-02-01")
    network.integrate(ALICE, code=8, who="other-cpas")
    with network.client("other-cpas") as client:
        params = {"end_user_id": "sw-1", "end_user_role": "social-worker"}
        assert client.delete(f"/v1/integrations/{ALICE}/8", params=params).status_code == 200
    file_at(network, "mutuality-a", ALICE, 1, start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31))
    rows = listed(network, ALICE).json()["integrations"]
    assert [(r["own"], r["quality_code"]) for r in rows] == [(True, 2)]


def test_a_grant_restricted_to_the_cpas_sector_hides_the_other_sectors(network: Network) -> None:
    network.integrate(ALICE, code=2)
    file_at(network, "mutuality-a", ALICE, 1)
    with network.client("operator") as operator:
        grants = operator.get("/v1/admin/deliberations").json()
        every_sector = [g for g in grants if g["service"] == SERVICE and g["sectors"] is None]
        assert every_sector
        for grant in every_sector:
            assert operator.delete(f"/v1/admin/deliberations/{grant['id']}").status_code == 204
    rows = listed(network, ALICE).json()["integrations"]
    assert [(r["sector"], r["institution"]) for r in rows] == [
        (CPAS_SECTOR, network.institutions["cpas"].cbe)]


def test_fields_add_up_only_for_the_sectors_each_grant_covers(network: Network) -> None:
    network.integrate(ALICE, code=2)
    file_at(network, "mutuality-a", ALICE, 1)
    file_at(network, "onem", ALICE, 1)
    grant = {"reference": "CSI/26/002", "title": "Insurer of the person", "client_kind": "cpas",
             "quality_codes": [2], "service": SERVICE, "sectors": [MUTUALITY_SECTOR],
             "fields": ["sector", "institution_name"], "valid_from": "2020-01-01"}
    with network.client("operator") as operator:
        assert operator.put("/v1/admin/deliberations", json=grant).status_code == 204
        saved = [g for g in operator.get("/v1/admin/deliberations").json()
                 if g["reference"] == "CSI/26/002"]
    assert saved[0]["sectors"] == [MUTUALITY_SECTOR]
    rows = by_sector(listed(network, ALICE).json()["integrations"])
    assert rows[MUTUALITY_SECTOR][0]["institution_name"] == "mutuality-a"
    assert "institution_name" not in rows[18][0]  # the ONEM's sector: not granted there


def test_a_sector_restriction_on_a_service_without_sectors_is_refused(network: Network) -> None:
    grant = {"reference": "CSI/26/003", "title": "t", "client_kind": "cpas",
             "quality_codes": [2], "service": "unemployment", "sectors": [17],
             "fields": ["periods"], "valid_from": "2020-01-01"}
    with network.client("operator") as operator:
        response = operator.put("/v1/admin/deliberations", json=grant)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-input"


def test_the_consultation_endpoint_lists_integrations_too(network: Network) -> None:
    network.integrate(ALICE, code=2)
    network.integrate(ALICE, code=7, who="other-cpas")
    response = network.consult(SERVICE, ALICE, capacity=2)
    assert response.status_code == 200, response.text
    items = response.json()["data"]["integrations"]
    assert sorted((i["own"], i["quality_code"]) for i in items) == [(False, 7), (True, 2)]


def test_the_listing_needs_the_callers_capacity(network: Network) -> None:
    with network.client() as client:
        params = {"end_user_id": "sw-1", "end_user_role": "social-worker"}
        response = client.get(f"/v1/persons/{ALICE}/integrations", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-input"


def test_the_openapi_document_says_which_fields_may_be_absent(network: Network) -> None:
    document = httpx.get(f"{network.url}/openapi.json", timeout=60).json()
    listing = document["paths"]["/v1/persons/{niss}/integrations"]["get"]
    assert "capacity" in {p["name"] for p in listing["parameters"] if p["required"]}
    row = document["components"]["schemas"]["ListedIntegrationOut"]
    assert not row.get("required")
    assert "granted" in row["properties"]["institution"]["description"]
