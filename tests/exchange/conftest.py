"""A small network for exchange tests: the real hub over HTTP, with source doubles that speak
the source protocol over real HTTP, a CPAS client and the shipped reference tables."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import ObservabilitySettings, Settings
from carrefour.directory.domain import Institution, Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from tests.exchange.source_double import SourceDouble
from tests.servers import serving

TODAY = dt.date.today()


def cbe(serial: int) -> str:
    """A valid enterprise number: 8 digits then 97 minus their remainder modulo 97."""
    base = 2_000_000 + serial
    return f"{base:08d}{97 - base % 97:02d}"


@dataclass
class Network:
    url: str
    engine: Engine
    sources: dict[str, SourceDouble]
    institutions: dict[str, Institution]
    archive_dir: Path  # the hub's journal archive (empty until a test archives a month)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str = "cpas") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=30
        )

    def integrate(
        self, niss: str, *, code: int = 2, who: str = "cpas", **extra: Any
    ) -> httpx.Response:
        body = {"niss": niss, "quality_code": code, "end_user": USER, **extra}
        with self.client(who) as client:
            return client.post("/v1/integrations", json=body)

    def consult(
        self,
        service: str,
        niss: str | None,
        *,
        capacity: int = 2,
        who: str = "cpas",
        **parameters: Any,
    ) -> httpx.Response:
        body = {
            "service": service,
            "niss": niss,
            "capacity": capacity,
            "end_user": USER,
            "parameters": parameters,
        }
        with self.client(who) as client:
            return client.post("/v1/consultations", json=body)


USER = {"id": "sw-042", "role": "social-worker"}
SECRET = "test-signing-secret-0123456789abcdef"
METRICS_TOKEN = "test-scrape-token-0123456789"

SOURCES = {
    # name: (serial, kind, sector, subsector)
    "national-register": (1, "national-register", 0, 0),
    "onem": (2, "onem", 18, 0),
    "mutuality-a": (3, "mutuality", 11, 1),
    "mutuality-b": (4, "mutuality", 11, 1),
}


def _register(
    engine: Engine,
    name: str,
    serial: int,
    kind: str,
    sector: int,
    subsector: int,
    role: Role,
    endpoint: str | None,
    token: str | None = None,
) -> Institution:
    return register_institution(
        engine,
        InstitutionSpec(
            cbe=cbe(serial),
            name_fr=name,
            name_nl=name,
            sector=sector,
            subsector=subsector,
            kind=kind,
            role=role,
            endpoint=endpoint,
            source_token=token,
        ),
    )


@pytest.fixture(scope="session")
def _doubles() -> Iterator[dict[str, tuple[SourceDouble, str]]]:
    """The source doubles serve for the whole session; each test gets them reset."""
    with ExitStack() as stack:
        served = {}
        for name in SOURCES:
            double = SourceDouble(token=f"token-{name}")
            served[name] = (double, stack.enter_context(serving(double.app())))
        yield served


@pytest.fixture
def network(engine: Engine, _doubles: dict[str, tuple[SourceDouble, str]]) -> Iterator[Network]:
    with open_network(engine, _doubles) as net:
        yield net


@contextmanager
def open_network(
    engine: Engine, _doubles: dict[str, tuple[SourceDouble, str]], **hub_options: Any
) -> Iterator[Network]:
    """The network on ``engine``; ``hub_options`` go to ``build_hub`` (e.g. ``tracing``)."""
    with ExitStack() as stack:
        doubles: dict[str, SourceDouble] = {}
        institutions: dict[str, Institution] = {}
        for name, (serial, kind, sector, subsector) in SOURCES.items():
            double, url = _doubles[name]
            double.reset()
            doubles[name] = double
            institutions[name] = _register(
                engine, name, serial, kind, sector, subsector, Role.SOURCE, url, double.token
            )
        institutions["bis-register"] = _register(
            engine, "BCSS", 9, "bis-register", 25, 0, Role.SOURCE, "local:bis-register"
        )
        institutions["cpas"] = _register(
            engine, "CPAS de Namur", 10, "cpas", 17, 1, Role.CLIENT, None
        )
        institutions["other-cpas"] = _register(
            engine, "OCMW Gent", 11, "cpas", 17, 1, Role.CLIENT, None
        )
        institutions["operator"] = _register(
            engine, "Operator", 12, "hub", 25, 0, Role.CLIENT, None
        )
        load_reference_file(engine)
        archive_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = Settings(
            database_url=str(engine.url), token_secret=SECRET, source_timeout_seconds=1.0,
            observability=ObservabilitySettings(metrics_token=METRICS_TOKEN),
            archive_dir=archive_dir,
        )
        hub = build_hub(settings, engine=engine, **hub_options)
        url = stack.enter_context(serving(create_app(hub)))
        net = Network(url=url, engine=engine, sources=doubles, institutions=institutions,
                      archive_dir=archive_dir)
        for who, scopes in (
            ("cpas", [Scope.CONSULT]),
            ("other-cpas", [Scope.CONSULT]),
            ("operator", [Scope.ADMIN, Scope.CONSULT]),
        ):
            made = create_credentials(engine, institution_id=institutions[who].id, scopes=scopes)
            response = httpx.post(
                f"{url}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": made.client_id,
                    "client_secret": made.client_secret,
                },
                timeout=30,
            )
            response.raise_for_status()
            net.tokens[who] = response.json()["access_token"]
        yield net
