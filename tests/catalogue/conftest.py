"""The whole simulated network for the catalogue tests: every simulated source (its own HTTP
server and database, written from a small population), the hub seeded with its directory and
the shipped deliberations, and clients of three kinds (a CPAS, a regional employment service,
a mutuality). Started once per test module; each source can be slowed down or broken."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text, update

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import Settings
from carrefour.directory import repository as repo
from carrefour.directory.tables import institutions
from carrefour.simulation.network import DEMO_CPAS_SLUG, SOURCES, institution
from carrefour.simulation.seeding.seed import SeedReport, seed_network
from carrefour.simulation.seeding.sources_db import writer_engine
from carrefour.simulation.sources.app import create_source_app
from tests.conftest import _empty_all_tables
from tests.servers import serving

PERSONS = 1_200
SEED = 31
SECRET = "catalogue-test-signing-secret-0123456789"
USER = {"id": "sw-007", "role": "social-worker"}
ROLES = {"vdab": "job-counsellor"}  # an end user's role is one of the sector's (roles.csv)


class Controlled:
    """An ASGI wrapper around a source: answers late (``delay``) or fails (``broken``)."""

    def __init__(self, app: Any) -> None:
        self.app, self.delay, self.broken = app, 0.0, False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.delay:
            await asyncio.sleep(self.delay)
        if scope["type"] == "http" and self.broken:
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"broken"})
            return
        await self.app(scope, receive, send)


@dataclass
class CatalogueNetwork:
    url: str
    engine: Engine
    report: SeedReport
    controls: dict[str, Controlled]
    tokens: dict[str, str] = field(default_factory=dict)

    def consult(self, service: str, niss: str | None, *, capacity: int, who: str = "cpas",
                **parameters: Any) -> httpx.Response:
        end_user = {**USER, "role": ROLES.get(who, USER["role"])}
        body = {"service": service, "niss": niss, "capacity": capacity, "end_user": end_user,
                "parameters": parameters}
        return self._post("/v1/consultations", body, who)

    def integrate(self, niss: str, code: int, *, who: str = "cpas", end: str | None = None) -> None:
        body = {"niss": niss, "quality_code": code, "end_user": USER, "end": end}
        response = self._post("/v1/integrations", body, who)
        assert response.status_code in (200, 201), response.text

    def source_rows(self, slug: str, query: str) -> list[Any]:
        """Rows of a source's own database (to pick persons holding a file there)."""
        url = next(s.database_url for s in self.report.sources if s.slug == slug)
        engine = writer_engine(url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query)))
        finally:
            engine.dispose()

    def _post(self, path: str, body: dict[str, Any], who: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def catalogue_network(_schema: Engine, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[CatalogueNetwork]:
    _empty_all_tables(_schema)
    folder = tmp_path_factory.mktemp("catalogue-sources")
    report = seed_network(hub_engine=_schema, sources_dir=folder, persons=PERSONS, seed=SEED,
                          today=dt.date.today())
    with ExitStack() as stack:
        controls = {s.slug: Controlled(_source_app(s.slug, report)) for s in report.sources}
        urls = {slug: stack.enter_context(serving(app)) for slug, app in controls.items()}
        _point_directory_at(_schema, urls)
        settings = Settings(database_url=str(_schema.url), token_secret=SECRET,
                            source_timeout_seconds=2.0, data_dir=Path(folder))
        # the hub's own engine: stopping the hub disposes it, not the session's shared one
        hub_url = stack.enter_context(serving(create_app(build_hub(settings))))
        network = CatalogueNetwork(url=hub_url, engine=_schema, report=report, controls=controls)
        _log_in(network, report)
        yield network


def _source_app(slug: str, report: SeedReport) -> Any:
    source = next(s for s in report.sources if s.slug == slug)
    return create_source_app(source.kind, database_url=source.database_url, token=source.token,
                             name=source.name, number=source.number)


def _point_directory_at(engine: Engine, urls: dict[str, str]) -> None:
    with engine.begin() as connection:
        for slug, url in urls.items():
            connection.execute(update(institutions).where(
                institutions.c.cbe == institution(slug).cbe).values(endpoint=url))
        repo.bump_version(connection)


def _log_in(network: CatalogueNetwork, report: SeedReport) -> None:
    demo = next(c for c in report.credentials if c.institution == DEMO_CPAS_SLUG)
    network.tokens["cpas"] = _token(network.url, demo.client_id, demo.client_secret)
    for who in ("vdab", "mc-cm"):
        with network.engine.connect() as connection:
            found = connection.execute(select(institutions.c.id).where(
                institutions.c.cbe == institution(who).cbe)).scalar_one()
        made = create_credentials(network.engine, institution_id=found, scopes=[Scope.CONSULT])
        network.tokens[who] = _token(network.url, made.client_id, made.client_secret)


def _token(url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def network(catalogue_network: CatalogueNetwork) -> Iterator[CatalogueNetwork]:
    """The module's network, every source answering normally again after the test."""
    yield catalogue_network
    for control in catalogue_network.controls.values():
        control.delay, control.broken = 0.0, False


__all__ = ["SOURCES", "CatalogueNetwork"]
