"""A small simulated network for the declarations: the hub seeded with its directory and the
shipped deliberations, the SPP IS and the family allowance funds as real HTTP sources (the
SPP IS publishing its status changes to the hub), a CPAS and clients of CPAS data of several
kinds, each logged in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import Settings
from carrefour.directory.tables import institutions
from carrefour.signal.tables import mutations
from carrefour.simulation.network import DEMO_CPAS_SLUG, institution
from carrefour.simulation.seeding.seed import SeedReport, seed_network
from carrefour.simulation.sources.publisher import HubPublisher
from tests.catalogue.conftest import _point_directory_at, _source_app
from tests.conftest import _empty_all_tables
from tests.servers import serving

PERSONS = 150
RETRY_DELAY = 0.05  # the SPP IS publishes again soon after the hub failed to take a mutation
SEED = 11
SECRET = "declarations-test-signing-secret-0123456789"
SERVED = ("spp-is", "famiwal")
CLIENTS = ("stib", "mc-cm", "office-etrangers", "slrb", "ibpt", "inspection-sociale",
           "opgroeien", "cpas-liege")
ROLES = {"cpas": "social-worker", "cpas-liege": "social-worker", "stib": "customer-adviser",
         "mc-cm": "social-worker", "office-etrangers": "case-handler",
         "slrb": "housing-officer", "ibpt": "case-handler",
         "inspection-sociale": "social-inspector", "opgroeien": "case-handler"}


class Gate:
    """An ASGI wrapper around the hub for the mutations a source publishes: ``refusing``, the
    hub answers 503 without taking them; ``losing``, it takes them but the answer is lost
    (503 all the same), as when the network fails on the way back."""

    def __init__(self, app: Any) -> None:
        self.app, self.refusing, self.losing, self.knocks = app, False, False, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (scope["type"] == "http" and scope["path"] == "/v1/mutations"
                and (self.refusing or self.losing)):
            await self.app(scope, receive, send)
            return
        self.knocks += 1
        if self.losing:
            async def swallow(_message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"unavailable"})


@dataclass
class DeclarationNetwork:
    url: str
    engine: Engine
    report: SeedReport
    persons: list[str]
    gate: Gate
    tokens: dict[str, str] = field(default_factory=dict)
    subscribed: set[tuple[str, str]] = field(default_factory=set)  # (who, mutation type)

    def log_in(self, who: str, slug: str, *, role: str, scope: Scope = Scope.CONSULT) -> None:
        """Credentials for another institution of the network, as ``who``."""
        made = create_credentials(self.engine, institution_id=_id(self.engine, slug),
                                  scopes=[scope])
        self.tokens[who] = _token(self.url, made.client_id, made.client_secret)
        ROLES[who] = role

    def user(self, who: str) -> dict[str, str]:
        return {"id": f"{who}-user-1", "role": ROLES[who]}

    def post(self, path: str, body: dict[str, Any], who: str = "cpas") -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=30)

    def declare(self, niss: str, reference: str, data: dict[str, Any], *, capacity: int = 2,
                kind: str = "A036", who: str = "cpas") -> httpx.Response:
        return self.post("/v1/declarations", {
            "type": kind, "niss": niss, "capacity": capacity, "reference": reference,
            "end_user": self.user(who), "data": data}, who)

    def correct(self, niss: str, reference: str, data: dict[str, Any], *, capacity: int = 2,
                kind: str = "A036", who: str = "cpas") -> httpx.Response:
        return self.post(f"/v1/declarations/{kind}/{reference}/correction", {
            "niss": niss, "capacity": capacity, "end_user": self.user(who), "data": data}, who)

    def cancel(self, niss: str, reference: str, *, capacity: int = 2, kind: str = "A036",
               who: str = "cpas") -> httpx.Response:
        return self.post(f"/v1/declarations/{kind}/{reference}/cancellation", {
            "niss": niss, "capacity": capacity, "end_user": self.user(who),
            "reason": "error in the file"}, who)

    def integrate(self, niss: str, code: int, *, who: str = "cpas") -> None:
        end = (dt.date.today() + dt.timedelta(days=60)).isoformat()
        body = {"niss": niss, "quality_code": code, "end_user": self.user(who), "end": end}
        response = self.post("/v1/integrations", body, who)
        assert response.status_code in (200, 201), response.text

    def consult(self, service: str, niss: str, *, capacity: int, who: str,
                **parameters: Any) -> httpx.Response:
        return self.post("/v1/consultations", {
            "service": service, "niss": niss, "capacity": capacity,
            "end_user": self.user(who), "parameters": parameters}, who)

    def mutations(self, niss: str) -> list[Any]:
        query = (select(mutations.c.type, mutations.c.source_ref, mutations.c.data)
                 .where(mutations.c.niss == niss).order_by(mutations.c.id))
        with self.engine.connect() as connection:
            return list(connection.execute(query))


@pytest.fixture(scope="module")
def declaration_network(_schema: Engine, tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[DeclarationNetwork]:
    _empty_all_tables(_schema)
    folder = tmp_path_factory.mktemp("declaration-sources")
    report = seed_network(hub_engine=_schema, sources_dir=folder, persons=PERSONS, seed=SEED,
                          today=dt.date.today())
    with ExitStack() as stack:
        apps = {slug: _source_app(slug, report) for slug in SERVED}
        urls = {slug: stack.enter_context(serving(app)) for slug, app in apps.items()}
        _point_directory_at(_schema, urls)
        settings = Settings(database_url=str(_schema.url), token_secret=SECRET,
                            source_timeout_seconds=5.0, data_dir=Path(folder))
        gate = Gate(create_app(build_hub(settings)))
        hub_url = stack.enter_context(serving(gate))
        apps["spp-is"].state.publisher = _publisher(_schema, hub_url)
        apps["spp-is"].state.retry_delay = RETRY_DELAY
        network = DeclarationNetwork(url=hub_url, engine=_schema, report=report,
                                     persons=_persons(report), gate=gate)
        _log_in(network, report)
        yield network


def _id(engine: Engine, slug: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(institutions.c.id).where(
            institutions.c.cbe == institution(slug).cbe)).scalar_one())


def _publisher(engine: Engine, hub_url: str) -> HubPublisher:
    made = create_credentials(engine, institution_id=_id(engine, "spp-is"),
                              scopes=[Scope.PUBLISH])
    return HubPublisher(hub_url, made.client_id, made.client_secret)


def _persons(report: SeedReport) -> list[str]:
    url = next(s.database_url for s in report.sources if s.slug == "national-register")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT niss FROM persons WHERE death_date IS NULL ORDER BY niss LIMIT 60"))
            return [str(r[0]) for r in rows]
    finally:
        engine.dispose()


def _log_in(network: DeclarationNetwork, report: SeedReport) -> None:
    demo = next(c for c in report.credentials if c.institution == DEMO_CPAS_SLUG)
    network.tokens["cpas"] = _token(network.url, demo.client_id, demo.client_secret)
    for who in CLIENTS:
        made = create_credentials(network.engine, institution_id=_id(network.engine, who),
                                  scopes=[Scope.CONSULT])
        network.tokens[who] = _token(network.url, made.client_id, made.client_secret)


def _token(url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    response.raise_for_status()
    return str(response.json()["access_token"])
