"""The hub's door under test: the real hub over HTTP with two sources (doubles speaking the
source protocol), two CPAS, an operator and a source's own credentials; low throttling limits;
a cheap argon2 hasher that records every hash it checks (so that tests count hash work instead
of timing it)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from carrefour.api.app import create_app
from carrefour.auth import services as auth_services
from carrefour.auth.hashing import SecretHasher
from carrefour.auth.services import NewCredentials, Scope, create_credentials
from carrefour.bootstrap import Hub, build_hub
from carrefour.config import Settings
from carrefour.directory.domain import Institution, Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.journal.tables import audit_changes, journal_entries
from tests.exchange.conftest import _doubles, cbe  # noqa: F401 - the source doubles fixture
from tests.exchange.source_double import SourceDouble
from tests.servers import serving

SECRET = "auth-test-signing-secret-0123456789abcdef"
CLIENT_FAILURES = 3
ADDRESS_FAILURES = 6
REFUSAL_DELAY = 0.2
USER = {"id": "sw-042", "role": "social-worker"}


class SpyHasher(PasswordHasher):
    """argon2id with cheap parameters, remembering every hash it verifies and on which thread."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []
        self.threads: list[str] = []
        self.hold: threading.Event | None = None  # set: verifying waits until it is set

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        self.threads.append(threading.current_thread().name)
        if self.hold is not None:
            self.hold.wait(10)
        return super().verify(hash, password)


@dataclass
class Door:
    url: str
    engine: Engine
    hub: Hub
    spy: SpyHasher
    institutions: dict[str, Institution]
    sources: dict[str, SourceDouble]
    credentials: dict[str, NewCredentials] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, who: str | None = None, *, local_address: str | None = None,
              **form: str) -> httpx.Response:
        """POST /oauth/token with ``who``'s credentials as form fields (overridable)."""
        data = {"grant_type": "client_credentials"}
        if who is not None:
            made = self.credentials[who]
            data |= {"client_id": made.client_id, "client_secret": made.client_secret}
        data |= form
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        with httpx.Client(base_url=self.url, transport=transport, timeout=30) as client:
            return client.post("/oauth/token", data=data)

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def consult(self, who: str, service: str, niss: str, *, capacity: int = 2) -> httpx.Response:
        body = {"service": service, "niss": niss, "capacity": capacity, "end_user": USER,
                "parameters": {}}
        with self.client(who) as client:
            return client.post("/v1/consultations", json=body)

    def entries(self, **where: Any) -> list[dict[str, Any]]:
        """Journal entries, oldest first, whose columns equal ``where``."""
        query = select(journal_entries).order_by(journal_entries.c.seq)
        for name, value in where.items():
            query = query.where(journal_entries.c[name] == value)
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def audit_rows(self, ticket: str) -> list[dict[str, Any]]:
        query = (select(audit_changes).where(audit_changes.c.ticket == ticket)
                 .order_by(audit_changes.c.position))
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]


MEMBERS = {
    # name: (serial, kind, sector, subsector, role)
    "cpas": (40, "cpas", 17, 1, Role.CLIENT),
    "other-cpas": (41, "cpas", 17, 1, Role.CLIENT),
    "operator": (42, "hub", 25, 0, Role.CLIENT),
}
SOURCE_MEMBERS = {"national-register": (43, "national-register", 0, 0),
                  "onem": (44, "onem", 18, 0)}
SCOPES = {"cpas": [Scope.CONSULT], "other-cpas": [Scope.CONSULT],
          "operator": [Scope.ADMIN, Scope.CONSULT]}


def _register(engine: Engine, name: str, serial: int, kind: str, sector: int, subsector: int,
              role: Role, endpoint: str | None = None, token: str | None = None) -> Institution:
    return register_institution(engine, InstitutionSpec(
        cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector, subsector=subsector,
        kind=kind, role=role, endpoint=endpoint, source_token=token))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyHasher:
    found = SpyHasher()
    monkeypatch.setattr(auth_services, "HASHER", SecretHasher(found))
    return found


@pytest.fixture
def door(
    engine: Engine, spy: SpyHasher, _doubles: dict[str, tuple[SourceDouble, str]]  # noqa: F811
) -> Iterator[Door]:
    institutions: dict[str, Institution] = {}
    sources: dict[str, SourceDouble] = {}
    for name, (serial, kind, sector, subsector) in SOURCE_MEMBERS.items():
        double, url = _doubles[name]
        double.reset()
        sources[name] = double
        institutions[name] = _register(engine, name, serial, kind, sector, subsector,
                                       Role.SOURCE, url, double.token)
    for name, (serial, kind, sector, subsector, role) in MEMBERS.items():
        institutions[name] = _register(engine, name, serial, kind, sector, subsector, role)
    load_reference_file(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET,
                        source_timeout_seconds=1.0, auth_client_failures=CLIENT_FAILURES,
                        auth_address_failures=ADDRESS_FAILURES, auth_hash_queue=4,
                        auth_refusal_delay_seconds=REFUSAL_DELAY)
    hub = build_hub(settings, engine=engine)
    with ExitStack() as stack:
        url = stack.enter_context(serving(create_app(hub)))
        door = Door(url=url, engine=engine, hub=hub, spy=spy, institutions=institutions,
                    sources=sources)
        for who, scopes in SCOPES.items():
            door.credentials[who] = create_credentials(
                engine, institution_id=institutions[who].id, scopes=scopes)
            answer = door.token(who)
            assert answer.status_code == 200, answer.text
            door.tokens[who] = answer.json()["access_token"]
        spy.verified.clear()
        spy.threads.clear()
        yield door


TODAY = dt.date.today()
