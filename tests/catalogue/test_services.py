"""Every service of the CPAS catalogue through the real hub and the real simulated sources:
an allowed call, a refused call, and the fields kept to what the deliberation grants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from carrefour.catalogue.model import CONSULTATION, Service, default_catalogue
from carrefour.directory.domain import Deliberation, cpas_limit
from carrefour.directory.files import default_reference_text, parse_reference
from carrefour.simulation.sources.kinds import DECLARED_SERVICES, RECORD_SERVICES
from tests.catalogue.conftest import CatalogueNetwork

CATALOGUE = default_catalogue()
GRANTS, _ = parse_reference(default_reference_text())
NOT_GRANTED = 20  # CPAS quality code 20 ("collaborator under inquiry"): no deliberation
HUB_LOCAL = {"niss-history",  # answered by the hub's own BIS register (tests/identification)
             "harmonised-statuses", "derived-rights"}  # its status buffer (tests/statuses)

# Consultations of records only: the Mediprima decisions have their own entry points
# (tests/mediprima); declarations and the data declared are tested in tests/declarations.
DECLARED = {name for names in DECLARED_SERVICES.values() for name in names}
SERVICES = sorted(s.name for s in CATALOGUE if not s.composite and s.name not in HUB_LOCAL
                  and s.exchange == CONSULTATION and not s.declaration
                  and s.name not in DECLARED)


def cpas_grants(service: str) -> list[Deliberation]:
    return [g for g in GRANTS if g.service == service and g.client_kind == "cpas"
            and g.valid_until is None]


def widest(service: str) -> tuple[Deliberation, int]:
    grant = max(cpas_grants(service), key=lambda g: (len(g.fields), -min(g.quality_codes)))
    return grant, min(grant.quality_codes - {40})


def narrowest(service: str) -> tuple[Deliberation, int]:
    grant = min(cpas_grants(service), key=lambda g: (len(g.fields), min(g.quality_codes)))
    return grant, min(grant.quality_codes - {40})


def granted_for(item: dict[str, Any], service: str, code: int) -> set[str]:
    """The fields of every CPAS grant for that code covering the item's sector (all of them
    for a service whose grants are not restricted to sectors)."""
    grants = [g for g in cpas_grants(service) if code in g.quality_codes]
    return set().union(*(g.fields for g in grants
                         if g.sectors is None or item.get("sector") in g.sectors))


def holder(network: CatalogueNetwork, service: Service) -> tuple[str | None, dict[str, Any]]:
    """A person (and parameters) for which the service's source holds data."""
    if service.name in ("search-person", "search-by-address"):
        row = network.source_rows("national-register",
                                  "SELECT last_name, postal_code, street FROM persons LIMIT 1")[0]
        if service.name == "search-person":
            return None, {"last_name": row[0]}
        return None, {"postal_code": row[1], "street": row[2]}
    if service.name == "employer-directory":
        return None, {"employer": network.source_rows("onss", "SELECT key FROM employers")[0][0]}
    if service.name == "posted-workers":
        name = network.source_rows("limosa", "SELECT key FROM names")[0][0]
        return None, {"last_name": str(name).title()}
    if service.name == "posting-document":
        return None, {"posting_id": network.source_rows("limosa", "SELECT key FROM postings")[0][0]}
    return _holder_niss(network, service), {}


def _holder_niss(network: CatalogueNetwork, service: Service) -> str:
    kind = service.sources[0].kind
    if service.name in RECORD_SERVICES.get(kind, {}):
        slug = "vdab" if kind == "regional-employment" else _slug(kind)
        for niss, data in network.source_rows(slug, "SELECT niss, data FROM files"):
            if all(f in orjson.loads(data) for f in service.fields):
                return str(niss)
        raise AssertionError(f"no file for {service.name}")
    if kind == "onem":
        return str(network.source_rows("onem", "SELECT niss FROM unemployment_periods")[0][0])
    if kind == "mutuality":
        return str(network.source_rows("mc-cm", "SELECT niss FROM members")[0][0])
    return str(network.source_rows("national-register", "SELECT niss FROM persons")[0][0])


def _slug(kind: str) -> str:
    from carrefour.simulation.network import SOURCES

    return next(s.slug for s in SOURCES if s.kind == kind)


def ask(network: CatalogueNetwork, service: Service, code: int) -> Any:
    niss, parameters = holder(network, service)
    if niss is not None and service.requires_integration:
        today = dt.date.today()  # a code without maximum duration needs an end date
        end = None if cpas_limit(code, today) else (today + dt.timedelta(days=30)).isoformat()
        network.integrate(niss, code, end=end)
    return network.consult(service.name, niss, capacity=code, **parameters)


def test_the_catalogue_covers_the_cpas_services_at_twelve_sources() -> None:
    from carrefour.simulation.network import SOURCES

    assert len(CATALOGUE.services) >= 25
    assert len(SOURCES) >= 12
    assert {"social-inquiry", "full-picture"} <= set(CATALOGUE.services)


@pytest.mark.parametrize("name", SERVICES)
def test_an_allowed_call_answers_with_the_sources_data(
    network: CatalogueNetwork, name: str
) -> None:
    service = CATALOGUE.get(name)
    grant, code = widest(name)
    response = ask(network, service, code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and grant.reference in body["deliberation"]
    assert body["data"] and all(s["status"] in ("ok", "not-found") for s in body["sources"])


@pytest.mark.parametrize("name", SERVICES)
def test_a_call_without_a_deliberation_is_refused(network: CatalogueNetwork, name: str) -> None:
    response = ask(network, CATALOGUE.get(name), NOT_GRANTED)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "no-deliberation"


@pytest.mark.parametrize("name", SERVICES)
def test_only_the_granted_fields_leave_the_hub(network: CatalogueNetwork, name: str) -> None:
    service = CATALOGUE.get(name)
    grant, code = narrowest(name)
    response = ask(network, service, code)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    if service.collection:
        items = data[service.collection]
        assert items and all(set(item) <= granted_for(item, name, code) for item in items)
        if service.sectored:  # the holder is named for the CPAS sector's files only
            assert all("institution" not in i for i in items if i["sector"] != 17), items
            return
        kept = set().union(*(set(item) for item in items))
    else:
        kept = set(data)
    assert kept <= grant.fields
    if grant.fields < set(service.fields):
        assert kept != set(service.fields)
