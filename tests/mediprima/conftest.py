"""A Mediprima network for the tests: the real hub over HTTP, the simulated Mediprima over
real HTTP (its own SQLite database) publishing its calculations back to the hub, two CPAS, a
hospital and a doctor (care providers, sector 19), and a regional employment service that has
no deliberation for any Mediprima operation."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import Settings
from carrefour.directory import repository as repo
from carrefour.directory.domain import Institution, Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.directory.tables import institutions
from carrefour.simulation.sources.mediprima_app import Publisher, create_mediprima_app
from tests.conftest import _empty_all_tables
from tests.exchange.conftest import cbe
from tests.people import niss
from tests.servers import serving

SECRET = "mediprima-test-signing-secret-0123456789"
SOURCE_TOKEN = "mediprima-source-token"
TODAY = dt.date.today()
_SERIALS = itertools.count(101)


def patient() -> str:
    """A person no other test of the module has used."""
    return niss(dt.date(1988, 4, 12), next(_SERIALS))
ROLES = {"cpas": "social-worker", "other-cpas": "social-worker", "hospital": "billing-officer",
         "doctor": "physician", "vdab": "job-counsellor"}

MEMBERS = {
    # name: (serial, kind, sector, subsector, role, scopes)
    "mediprima": (40, "mediprima", 16, 2, Role.SOURCE, [Scope.PUBLISH]),
    "cpas": (41, "cpas", 17, 1, Role.CLIENT, [Scope.CONSULT]),
    "other-cpas": (42, "cpas", 17, 1, Role.CLIENT, [Scope.CONSULT]),
    "hospital": (43, "hospital", 19, 1, Role.CLIENT, [Scope.CONSULT]),
    "doctor": (44, "doctor", 19, 1, Role.CLIENT, [Scope.CONSULT]),
    "vdab": (45, "regional-employment", 53, 0, Role.CLIENT, [Scope.CONSULT]),
}


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@dataclass
class MediprimaNet:
    url: str
    engine: Engine
    members: dict[str, Institution]
    tokens: dict[str, str] = field(default_factory=dict)
    basic: dict[str, tuple[str, str]] = field(default_factory=dict)  # client id and secret

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/v1", timeout=30,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def user(self, who: str) -> dict[str, str]:
        return {"id": f"{who}-user", "role": ROLES[who]}

    def integrate(self, niss: str, code: int, *, who: str) -> None:
        body = {"niss": niss, "quality_code": code, "end_user": self.user(who)}
        with self.client(who) as client:
            response = client.post("/integrations", json=body)
        assert response.status_code == 201, response.text

    def body(self, who: str = "cpas", *, capacity: int = 4, **given: Any) -> dict[str, Any]:
        return {"capacity": capacity, "end_user": self.user(who), **given}

    def decision(self, reference: str, start: int = 0, end: int = 90, **given: Any
                 ) -> dict[str, Any]:
        """A decision's members, its period in days from today."""
        return {"reference": reference, "start": day(start), "end": day(end),
                "coverage": "full", **given}

    def open(self, niss: str, reference: str, *, who: str = "cpas", capacity: int = 4,
             start: int = 0, end: int = 90, **given: Any) -> httpx.Response:
        body = self.body(who, capacity=capacity, **self.decision(reference, start, end, **given))
        with self.client(who) as client:
            return client.post(f"/mediprima/persons/{niss}/decisions", json=body)

    def query(self, who: str, capacity: int, **given: Any) -> dict[str, Any]:
        return {"capacity": capacity, "end_user_id": f"{who}-user", "end_user_role": ROLES[who],
                **given}

    def subscribe(self, who: str) -> None:
        with self.client(who) as client:
            response = client.post("/subscriptions",
                                   json={"mutation_type": "mediprima-calculation"})
        assert response.status_code == 201, response.text

    def feed(self, who: str, niss: str, count: int) -> list[dict[str, Any]]:
        """The calculations about ``niss`` in the pull feed, waiting (10 s at most) for
        ``count`` of them: Mediprima publishes after it has answered."""
        deadline = time.monotonic() + 10
        while True:
            with self.client(who) as client:
                events = [e for e in client.get("/feed").json()["events"]
                          if e["subject"] == niss]
            if len(events) >= count or time.monotonic() > deadline:
                return events
            time.sleep(0.05)

    def coverage(self, niss: str, on: int, *, who: str = "hospital") -> httpx.Response:
        with self.client(who) as client:
            return client.get(f"/mediprima/persons/{niss}/coverage",
                              params=self.query(who, 1, date=day(on)))


def _register(engine: Engine, name: str, serial: int, kind: str, sector: int, subsector: int,
              role: Role) -> Institution:
    source = role is Role.SOURCE
    return register_institution(engine, InstitutionSpec(
        cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector, subsector=subsector,
        kind=kind, role=role, endpoint="http://127.0.0.1:9" if source else None,
        source_token=SOURCE_TOKEN if source else None))


def _token(url: str, engine: Engine, member: Institution, scopes: list[Scope]
           ) -> tuple[str, str, str]:
    made = create_credentials(engine, institution_id=member.id, scopes=scopes)
    response = httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": made.client_id,
        "client_secret": made.client_secret})
    response.raise_for_status()
    return made.client_id, made.client_secret, str(response.json()["access_token"])


def _point_at(engine: Engine, member: Institution, url: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(institutions).where(institutions.c.id == member.id)
                           .values(endpoint=url))
        repo.bump_version(connection)


@pytest.fixture(scope="module")
def net(_schema: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediprimaNet]:
    """Started once per module (credentials cost an argon2 hash each); every test takes
    persons of its own (:func:`patient`)."""
    engine = _schema
    _empty_all_tables(engine)
    tmp_path = tmp_path_factory.mktemp("mediprima")
    members = {name: _register(engine, name, serial, kind, sector, subsector, role)
               for name, (serial, kind, sector, subsector, role, _) in MEMBERS.items()}
    load_reference_file(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET,
                        source_timeout_seconds=5.0)
    with ExitStack() as stack:
        url = stack.enter_context(serving(create_app(build_hub(settings, engine=engine))))
        network = MediprimaNet(url=url, engine=engine, members=members)
        publisher = None
        for name, member in members.items():
            client_id, secret, token = _token(url, engine, member, MEMBERS[name][5])
            network.tokens[name] = token
            network.basic[name] = (client_id, secret)
            if name == "mediprima":
                publisher = Publisher(hub_url=url, client_id=client_id, client_secret=secret)
        source = create_mediprima_app(database_url=f"sqlite:///{tmp_path / 'mediprima.sqlite3'}",
                                      token=SOURCE_TOKEN, publisher=publisher)
        _point_at(engine, members["mediprima"], stack.enter_context(serving(source)))
        time.sleep(1.1)  # the hub's reference cache looks at the directory again within 1 s
        for who in ("cpas", "other-cpas"):
            network.subscribe(who)
        yield network
