"""A network for the status buffer and derived rights: the real hub over HTTP, sources that
publish statuses (SPP IS, a mutuality, the National Register), a CPAS, two institutions that
grant the social energy tariff, two that grant the STIB's preferential tariff, an operator, and
real HTTP receivers for the pushes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import Hub, build_hub
from carrefour.config import Settings
from carrefour.directory.domain import Institution, Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.signal.delivery import DeliveryPolicy
from tests.exchange.conftest import cbe
from tests.servers import serving
from tests.signal.conftest import SECRET, USER, _receivers, eventually, policy  # noqa: F401
from tests.signal.receiver import Receiver

__all__ = ["STIB_USER", "USER", "StatusNet", "eventually"]

MEMBERS = {
    # name: (serial, kind, sector, role, endpoint, scopes)
    "bcss": (40, "bis-register", 25, Role.SOURCE, "local:bis-register", []),
    "national-register": (41, "national-register", 0, Role.SOURCE, None, [Scope.PUBLISH]),
    "spp-is": (42, "spp-is", 16, Role.SOURCE, None, [Scope.PUBLISH]),
    "mutuality": (43, "mutuality", 11, Role.SOURCE, None, [Scope.PUBLISH]),
    "cpas": (44, "cpas", 17, Role.CLIENT, None, [Scope.CONSULT]),
    "spf-economy": (45, "spf-economy", 70, Role.CLIENT, None, [Scope.CONSULT]),
    "energy-cell": (46, "spf-economy", 70, Role.CLIENT, None, [Scope.CONSULT]),
    "operator": (47, "hub", 25, Role.CLIENT, None, [Scope.ADMIN, Scope.CONSULT]),
    # Two institutions of the kind that grants the STIB's preferential tariff: each is told
    # only about the subscribers it integrated itself.
    "stib": (48, "stib", 94, Role.CLIENT, None, [Scope.CONSULT]),
    "stib-2": (49, "stib", 94, Role.CLIENT, None, [Scope.CONSULT]),
}
STIB_USER = {"id": "desk-7", "role": "customer-adviser"}

SUBSECTORS = {17: 1, 11: 1, 16: 2, 70: 3}


@dataclass
class StatusNet:
    url: str
    engine: Engine
    hub: Hub
    institutions: dict[str, Institution]
    receivers: dict[str, tuple[Receiver, str]]
    tokens: dict[str, str] = field(default_factory=dict)
    serial: int = 0

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def publish(self, niss: str, type: str, data: dict[str, Any], *, who: str,
                effective: dt.date | None = None, source_id: str | None = None
                ) -> httpx.Response:
        self.serial += 1
        body = {"type": type, "niss": niss, "source_id": source_id or f"{who}-{self.serial}",
                "effective_date": (effective or dt.date.today()).isoformat(), "data": data}
        with self.client(who) as client:
            return client.post("/v1/mutations", json=body)

    def status(self, niss: str, status: str, event_id: str, *, who: str = "spp-is",
               action: str = "set", start: str = "2024-01-01", end: str | None = None,
               effective: dt.date | None = None, source_id: str | None = None
               ) -> httpx.Response:
        data = {"status": status, "event_id": event_id, "action": action, "start": start,
                "end": end}
        return self.publish(niss, "social-status", data, who=who, effective=effective,
                            source_id=source_id)

    def household(self, household_id: str, members: list[str], *, postal_code: str = "1000",
                  effective: dt.date = dt.date(2020, 1, 1)) -> httpx.Response:
        data = {"household_id": household_id, "members": members,
                "address": {"street": "Rue Haute 1", "postal_code": postal_code}}
        return self.publish(members[0], "family-composition-change", data,
                            who="national-register", effective=effective)

    def subscribe(self, who: str, type: str, receiver: str) -> None:
        endpoint = f"{self.receivers[receiver][1]}/events"
        with self.client(who) as client:
            response = client.post("/v1/subscriptions", json={
                "mutation_type": type, "endpoint": endpoint, "batch_max": 1})
        assert response.status_code == 201, response.text

    def integrate(self, niss: str, *, who: str = "cpas", code: int = 2) -> None:
        user = STIB_USER if who.startswith("stib") else USER
        with self.client(who) as client:
            response = client.post("/v1/integrations",
                                   json={"niss": niss, "quality_code": code, "end_user": user})
        assert response.status_code == 201, response.text

    def consult(self, service: str, niss: str, *, who: str = "cpas", capacity: int = 2,
                **parameters: Any) -> httpx.Response:
        user = {"cpas": USER, "stib": STIB_USER}.get(who, {"id": "agent-1",
                                                           "role": "case-handler"})
        body = {"service": service, "niss": niss, "capacity": capacity, "end_user": user,
                "parameters": parameters}
        with self.client(who) as client:
            return client.post("/v1/consultations", json=body)

    def events(self, receiver: str) -> list[dict[str, Any]]:
        return self.receivers[receiver][0].events()


def today() -> dt.date:
    """Today as the hub sees it when the test runs (a suite may cross midnight)."""
    return dt.date.today()


def yesterday() -> str:
    return (today() - dt.timedelta(days=1)).isoformat()



def _register(engine: Engine) -> dict[str, Institution]:
    found = {}
    for name, (serial, kind, sector, role, endpoint, _scopes) in MEMBERS.items():
        found[name] = register_institution(engine, InstitutionSpec(
            cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector,
            subsector=SUBSECTORS.get(sector, 0), kind=kind, role=role,
            endpoint=endpoint or ("http://127.0.0.1:9/unused" if role.is_source else None)))
    return found


def _tokens(engine: Engine, url: str, members: dict[str, Institution]) -> dict[str, str]:
    tokens = {}
    for name, (*_, scopes) in MEMBERS.items():
        if not scopes:
            continue
        made = create_credentials(engine, institution_id=members[name].id, scopes=scopes)
        response = httpx.post(f"{url}/oauth/token", timeout=60, data={
            "grant_type": "client_credentials", "client_id": made.client_id,
            "client_secret": made.client_secret})
        response.raise_for_status()
        tokens[name] = response.json()["access_token"]
    return tokens


@pytest.fixture
def net(engine: Engine, _receivers: dict[str, tuple[Receiver, str]], policy: DeliveryPolicy,  # noqa: F811
        ) -> Iterator[StatusNet]:
    for receiver, _url in _receivers.values():
        receiver.reset()
    members = _register(engine)
    load_reference_file(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET)
    hub = build_hub(settings, engine=engine, delivery=policy)
    with serving(create_app(hub)) as url:
        yield StatusNet(url=url, engine=engine, hub=hub, institutions=members,
                        receivers=_receivers, tokens=_tokens(engine, url, members))
