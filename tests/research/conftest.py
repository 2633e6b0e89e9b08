"""A network for research extracts: the real hub over HTTP, two universities (researchers)
and a CPAS, an operator; a research deliberation granting universities the status buffer's
fields; the buffer filled directly (as seeding does) with a population whose cells the tests
know: five persons of Brussels and four of Liège in temporary unemployment in 2024."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import Hub, build_hub
from carrefour.config import Settings
from carrefour.directory.domain import Deliberation, Institution, Role
from carrefour.directory.services import InstitutionSpec, register_institution, save_all
from carrefour.journal.tables import journal_entries
from carrefour.research.tables import research_projects
from carrefour.signal.delivery import DeliveryPolicy
from carrefour.statuses import repository
from tests.declarations.conftest import declaration_network  # noqa: F401 - a fixture
from tests.exchange.conftest import cbe
from tests.lists.conftest import token
from tests.people import niss
from tests.servers import serving

SECRET = "test-signing-secret-0123456789abcdef"
RESEARCH_KEY = "research-key-for-the-tests-0123456789abcdef"
GRANT = "CSI/26/042"
NARROW = "CSI/26/043"  # grants the statuses, not the places
MEMBERS = {
    # name: (serial, kind, sector, subsector, role, scopes)
    "bcss": (70, "bis-register", 25, 0, Role.SOURCE, []),
    "uni-a": (71, "university", 40, 0, Role.CLIENT, [Scope.CONSULT]),
    "uni-b": (72, "university", 40, 0, Role.CLIENT, [Scope.CONSULT]),
    "cpas": (73, "cpas", 17, 1, Role.CLIENT, [Scope.CONSULT]),
    "operator": (74, "hub", 25, 0, Role.CLIENT, [Scope.ADMIN, Scope.CONSULT]),
}
# Persons in temporary unemployment in 2024: (NISS, postal code, start).
BRUSSELS = [niss(dt.date(1980 + i, 1 + i, 10), 11 + 2 * i + (i % 2)) for i in range(5)]
LIEGE = [niss(dt.date(1990 + i, 2 + i, 12), 31 + 2 * i) for i in range(4)]
RIS_ONLY = niss(dt.date(1975, 6, 6), 51)  # not in the population: another status
BEFORE = niss(dt.date(1976, 7, 7), 53)  # temporary unemployment that ended in 2023
POPULATION = [*BRUSSELS, *LIEGE]
PERIOD = {"start": "2024-01-01", "end": "2024-12-31"}


@dataclass
class ResearchNet:
    url: str
    engine: Engine
    hub: Hub
    institutions: dict[str, Institution]
    tokens: dict[str, str]

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def register(self, project: str = "P1", *, researcher: str = "uni-a",
                 **changes: Any) -> httpx.Response:
        with self.client("operator") as client:
            return client.post("/v1/admin/research/projects",
                               json=self.project(project, researcher=researcher, **changes))

    def project(self, project: str = "P1", *, researcher: str = "uni-a", **changes: Any
                ) -> dict[str, Any]:
        return {"id": project, "title": f"Temporary unemployment in 2024 ({project})",
                "researcher": self.institutions[researcher].cbe, "deliberation": GRANT,
                "variables": ["sex", "birth_decade", "region", "province", "status",
                              "start_month"],
                "statuses": ["temporary-unemployment"], **PERIOD, **changes}

    def extract(self, project: str = "P1", *, who: str = "uni-a", **body: Any
                ) -> httpx.Response:
        with self.client(who) as client:
            return client.post(f"/v1/research/projects/{project}/extracts", json=body)

    def view(self, project: str = "P1", *, who: str = "uni-a") -> httpx.Response:
        with self.client(who) as client:
            return client.get(f"/v1/research/projects/{project}")

    def outcomes(self, ticket: str) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(journal_entries.c.outcome).where(
                journal_entries.c.ticket == ticket)).scalars())

    def spent(self, project: str) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(research_projects.c.spent_micro).where(
                research_projects.c.id == project)).scalar_one())


def fill_buffer(engine: Engine) -> None:
    places = [(n, "1000") for n in BRUSSELS] + [(n, "4000") for n in LIEGE]
    places += [(RIS_ONLY, "1000"), (BEFORE, "1000")]
    found = [(n, "temporary-unemployment", dt.date(2024, 3, 10), dt.date(2024, 5, 31))
             for n in POPULATION]
    found += [(BRUSSELS[0], "temporary-unemployment", dt.date(2024, 9, 1), None),  # twice
              (RIS_ONLY, "ris", dt.date(2023, 1, 1), None),
              (BEFORE, "temporary-unemployment", dt.date(2023, 1, 1), dt.date(2023, 12, 31))]
    with engine.begin() as connection:
        repository.load(connection, [
            {"niss": n, "since": dt.date(2000, 1, 1), "household_id": f"H-{n}",
             "postal_code": p, "source": "nr"} for n, p in places], "households")
        repository.load(connection, [
            {"source": "0206737484", "event_id": f"e-{n}-{status}-{start}", "niss": n,
             "status": status, "starts_on": start, "ends_on": end, "cancelled": False,
             "effective_on": start, "action_rank": 0, "source_ref": "seed"}
            for n, status, start, end in found], "statuses")


def research_grants() -> list[Deliberation]:
    fields = frozenset({"niss", "household_id", "status", "start", "end"})
    common: dict[str, Any] = {"id": 0, "client_kind": "university", "quality_codes":
                              frozenset(), "service": "harmonised-statuses",
                              "valid_from": dt.date(2020, 1, 1), "valid_until": None}
    return [Deliberation(reference=GRANT, title="Research on temporary unemployment",
                         fields=fields, **common),
            Deliberation(reference=NARROW, title="Research on statuses, without places",
                         fields=fields - {"household_id"}, **common)]


@pytest.fixture
def research_settings() -> dict[str, Any]:
    """Settings of the hub a test changes (by parametrizing this fixture)."""
    return {}


@pytest.fixture
def net(engine: Engine, tmp_path: Path, research_settings: dict[str, Any]
        ) -> Iterator[ResearchNet]:
    members = {name: register_institution(engine, InstitutionSpec(
        cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector, subsector=sub, kind=kind,
        role=role, endpoint="local:bis-register" if role is Role.SOURCE else None))
        for name, (serial, kind, sector, sub, role, _) in MEMBERS.items()}
    save_all(engine, research_grants(), [])
    fill_buffer(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET, data_dir=tmp_path,
                        research_key=RESEARCH_KEY, **research_settings)
    hub = build_hub(settings, engine=engine, delivery=DeliveryPolicy(enabled=False))
    with serving(create_app(hub)) as url:
        tokens = {}
        for name, (*_, scopes) in MEMBERS.items():
            if scopes:
                made = create_credentials(engine, institution_id=members[name].id,
                                          scopes=scopes)
                tokens[name] = token(url, made.client_id, made.client_secret)
        yield ResearchNet(url=url, engine=engine, hub=hub, institutions=members,
                          tokens=tokens)



