"""A network for signal tests: the real hub over HTTP, publishing sources, subscribing CPAS,
and real HTTP receivers standing for the subscribers' endpoints (plain http on loopback, so
allow-listed explicitly, by host and port, in the delivery policy of every test)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

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
from carrefour.signal.endpoints import AllowList
from tests.exchange.conftest import cbe
from tests.servers import serving
from tests.signal.receiver import Receiver

SECRET = "test-signing-secret-0123456789abcdef"
USER = {"id": "sw-042", "role": "social-worker"}
FAST = DeliveryPolicy(
    poll_seconds=0.05, backoff_base_seconds=0.05, backoff_cap_seconds=0.2, lease_seconds=5,
    timeout_seconds=2,
)

MEMBERS = {
    # name: (serial, kind, sector, role, scopes)
    "national-register": (21, "national-register", 0, Role.SOURCE, [Scope.PUBLISH]),
    "onss": (22, "onss", 18, Role.SOURCE, [Scope.PUBLISH]),
    "onem": (23, "onem", 18, Role.SOURCE, [Scope.CONSULT]),  # no publish scope
    "cpas": (24, "cpas", 17, Role.CLIENT, [Scope.CONSULT]),
    "other-cpas": (25, "cpas", 17, Role.CLIENT, [Scope.CONSULT]),
    "operator": (26, "hub", 25, Role.CLIENT, [Scope.ADMIN, Scope.CONSULT]),
    "inami": (27, "inami", 21, Role.SOURCE, [Scope.PUBLISH]),
}


@dataclass
class SignalNet:
    url: str
    engine: Engine
    hub: Hub
    institutions: dict[str, Institution]
    receivers: dict[str, tuple[Receiver, str]]
    tokens: dict[str, str] = field(default_factory=dict)
    _serial: int = 0

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=30
        )

    def publish(self, niss: str, type: str = "address-change", *, who: str = "national-register",
                data: dict[str, Any] | None = None, source_id: str | None = None,
                ) -> httpx.Response:
        self._serial += 1
        body = {
            "type": type, "niss": niss, "source_id": source_id or f"nr-{self._serial}",
            "effective_date": dt.date.today().isoformat(),
            "data": data if data is not None else {"address": {"street": "Rue Haute 1",
                                                              "postal_code": "1000"}},
        }
        with self.client(who) as client:
            return client.post("/v1/mutations", json=body)

    def subscribe(self, who: str = "cpas", type: str = "address-change", *,
                  receiver: str | None = "a", batch_max: int = 1) -> dict[str, Any]:
        endpoint = f"{self.receivers[receiver][1]}/events" if receiver else None
        with self.client(who) as client:
            response = client.post("/v1/subscriptions", json={
                "mutation_type": type, "endpoint": endpoint, "batch_max": batch_max})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def integrate(self, niss: str, *, who: str = "cpas", code: int = 2) -> None:
        with self.client(who) as client:
            response = client.post("/v1/integrations",
                                   json={"niss": niss, "quality_code": code, "end_user": USER})
        assert response.status_code == 201, response.text

    def receiver(self, name: str = "a") -> Receiver:
        return self.receivers[name][0]


def eventually(check: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not become true in time")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def _receivers() -> Iterator[dict[str, tuple[Receiver, str]]]:
    with ExitStack() as stack:
        served = {}
        for name in ("a", "b"):
            receiver = Receiver()
            served[name] = (receiver, stack.enter_context(serving(receiver.app())))
        yield served


def register_members(engine: Engine) -> dict[str, Institution]:
    found = {}
    for name, (serial, kind, sector, role, _scopes) in MEMBERS.items():
        found[name] = register_institution(engine, InstitutionSpec(
            cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector, subsector=1 if
            sector == 17 else 0, kind=kind, role=role,
            endpoint="http://127.0.0.1:9/unused" if role.is_source else None,
        ))
    return found


def issue_tokens(engine: Engine, url: str, members: dict[str, Institution]) -> dict[str, str]:
    tokens = {}
    for name, (*_, scopes) in MEMBERS.items():
        made = create_credentials(engine, institution_id=members[name].id, scopes=scopes)
        response = httpx.post(f"{url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": made.client_id,
            "client_secret": made.client_secret})
        response.raise_for_status()
        tokens[name] = response.json()["access_token"]
    return tokens


def allowing_receivers(
    policy: DeliveryPolicy, receivers: Mapping[str, tuple[Receiver, str]]
) -> DeliveryPolicy:
    """``policy`` with the test receivers' host:port allow-listed (and nothing else)."""
    entries = " ".join(urlsplit(url).netloc for _, url in receivers.values())
    return replace(policy, allowed_endpoints=AllowList.parse(entries))


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(FAST, _receivers)


@pytest.fixture
def net(engine: Engine, _receivers: dict[str, tuple[Receiver, str]], policy: DeliveryPolicy
        ) -> Iterator[SignalNet]:
    for receiver, _url in _receivers.values():
        receiver.reset()
    members = register_members(engine)
    load_reference_file(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET)
    hub = build_hub(settings, engine=engine, delivery=policy)
    with serving(create_app(hub)) as url:
        yield SignalNet(url=url, engine=engine, hub=hub, institutions=members,
                        receivers=_receivers, tokens=issue_tokens(engine, url, members))
