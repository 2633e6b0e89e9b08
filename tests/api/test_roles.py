"""End users act in a role of their institution's sector (reference/roles.csv), not in free
text; a role outside the list is refused with ``unknown-role`` and journaled."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from carrefour import reference
from carrefour.journal import services as journal
from carrefour.simulation.network import NETWORK
from tests.exchange.conftest import Network
from tests.people import ALICE

INTRUDER = {"id": "x-1", "role": "hacker"}


def assert_refused_and_journaled(network: Network, response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "unknown-role"
    assert "social-worker" in body["detail"]  # the sector's roles are named
    record = journal.by_ticket(network.engine, body["ticket"])
    assert record is not None and record.entry.outcome == "unknown-role"


def test_a_consultation_in_a_role_outside_the_list_is_refused_and_journaled(
    network: Network,
) -> None:
    body = {"service": "legal-data", "niss": ALICE, "capacity": 2, "end_user": INTRUDER}
    with network.client() as client:
        assert_refused_and_journaled(network, client.post("/v1/consultations", json=body))


def test_an_integration_in_a_role_outside_the_list_is_refused_and_journaled(
    network: Network,
) -> None:
    assert_refused_and_journaled(network, network.integrate(ALICE, end_user=INTRUDER))


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"/v1/persons/{ALICE}/integrations"), ("DELETE", f"/v1/integrations/{ALICE}/2")],
)
def test_managing_access_in_a_role_outside_the_list_is_refused_and_journaled(
    network: Network, method: str, path: str
) -> None:
    params = {"end_user_id": "x-1", "end_user_role": "Social Worker", "capacity": 2}
    with network.client() as client:
        assert_refused_and_journaled(network, client.request(method, path, params=params))


def test_the_bis_register_in_a_role_outside_the_list_is_refused_and_journaled(
    network: Network,
) -> None:
    body = {"last_name": "Nowak", "birth_date": "1990-04-00", "end_user": INTRUDER}
    with network.client() as client:
        assert_refused_and_journaled(network, client.post("/v1/bis-persons", json=body))


def test_a_role_of_another_sector_is_refused(network: Network) -> None:
    operator_role = {"id": "x-1", "role": "operator"}  # the hub's operators', not a CPAS's
    response = network.integrate(ALICE, end_user=operator_role)
    assert response.json()["code"] == "unknown-role"


def test_a_role_of_every_sector_is_accepted_everywhere(network: Network) -> None:
    response = network.integrate(ALICE, end_user={"id": "dpo-1", "role": "dpo"})
    assert response.status_code == 201, response.text


def test_an_operator_looks_up_who_consulted_in_an_operators_role(network: Network) -> None:
    path = f"/v1/admin/persons/{ALICE}/consultations"
    with network.client("operator") as client:
        refused = client.get(path, params={"end_user_id": "op-1", "end_user_role": "president"})
        allowed = client.get(path, params={"end_user_id": "op-1", "end_user_role": "operator"})
    assert refused.json()["code"] == "unknown-role"
    record = journal.by_ticket(network.engine, refused.json()["ticket"])
    assert record is not None and record.entry.outcome == "unknown-role"
    assert allowed.status_code == 200, allowed.text


def test_every_institution_of_the_simulated_network_has_roles_of_its_sector() -> None:
    for member in NETWORK:
        own = [r for r in reference.roles_of(member.sector) if r.sector == member.sector]
        assert own, f"no role for sector {member.sector} ({member.slug})"


def test_every_role_is_a_kebab_case_name_with_its_three_labels() -> None:
    for role in reference.roles().values():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", role.role), role
        assert role.label_fr and role.label_nl and role.label_de, role
        assert role.sector is None or reference.sector(role.sector) is not None, role
