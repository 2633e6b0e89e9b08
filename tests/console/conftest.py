"""The console's tests: the exchange tests' network (the real hub over HTTP, source doubles)
with the simulated eID provider as the citizens' identity provider, staff credentials, and a
few exchanges about Alice: a legal-data consultation (shown to her) and an unemployment one
under a deliberation marked confidential for 90 days (withheld)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from carrefour.auth.services import Scope, create_credentials
from carrefour.simulation.eid.app import Provider, create_app
from tests.exchange.conftest import Network, _doubles, network
from tests.people import ALICE, BOB
from tests.servers import serving

__all__ = ["_doubles", "network"]

EID_CLIENT, EID_SECRET = "carrefour-console", "console-secret-for-tests"
LEGAL = {"niss": ALICE, "last_name": "Dupont", "first_names": ["Alice"], "birth_date": "1985-07-30"}
CONFIDENTIAL = "CSI/21/099"  # unemployment for a CPAS file under investigation (capacity 1)


@dataclass
class Staff:
    client_id: str
    secret: str


@dataclass
class Console:
    net: Network
    eid_url: str
    operator: Staff
    dpo: Staff  # the CPAS's credentials, for its DPO or a social worker
    tickets: dict[str, str]


@pytest.fixture(scope="session")
def eid_provider() -> Iterator[str]:
    with serving(create_app(Provider(clients={EID_CLIENT: EID_SECRET}))) as url:
        yield url


@pytest.fixture
def _oidc_env(eid_provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARREFOUR_OIDC_ISSUER", eid_provider)
    monkeypatch.setenv("CARREFOUR_OIDC_CLIENT_ID", EID_CLIENT)
    monkeypatch.setenv("CARREFOUR_OIDC_CLIENT_SECRET", EID_SECRET)


@pytest.fixture
def console(_oidc_env: None, eid_provider: str, network: Network) -> Console:
    staff = {
        who: create_credentials(network.engine, institution_id=network.institutions[who].id,
                                scopes=scopes)
        for who, scopes in (("operator", [Scope.ADMIN]), ("cpas", [Scope.CONSULT]))
    }
    return Console(
        net=network, eid_url=eid_provider,
        operator=Staff(staff["operator"].client_id, staff["operator"].client_secret),
        dpo=Staff(staff["cpas"].client_id, staff["cpas"].client_secret),
        tickets=seed(network),
    )


def seed(net: Network) -> dict[str, str]:
    """Alice consulted twice by the CPAS (once under a confidential grant), Bob once."""
    net.sources["national-register"].files["legal-data"] = {
        ALICE: LEGAL, BOB: {**LEGAL, "niss": BOB, "first_names": ["Bob"]}}
    net.sources["onem"].files["unemployment"] = {ALICE: {"periods": []}}
    with net.client("operator") as client:
        grants = client.get("/v1/admin/deliberations").json()
        grant = next(g for g in grants if g["reference"] == CONFIDENTIAL)
        body = {k: v for k, v in grant.items() if k != "id"}
        assert client.put("/v1/admin/deliberations",
                          json={**body, "confidential_days": 90}).status_code == 204
    assert net.integrate(ALICE, code=1).status_code in (200, 201)
    tickets = {}
    for name, service, niss, capacity in (
        ("legal", "legal-data", ALICE, 2), ("confidential", "unemployment", ALICE, 1),
        ("bob", "legal-data", BOB, 2),
    ):
        answer = net.consult(service, niss, capacity=capacity)
        assert answer.status_code == 200, answer.text
        tickets[name] = answer.json()["ticket"]
    return tickets


def sign_in(client: httpx.Client, staff: Staff, role: str, *, name: str = "jdoe") -> httpx.Response:
    return client.post("/console/login", data={
        "client_id": staff.client_id, "client_secret": staff.secret, "end_user_id": name,
        "role": role})
