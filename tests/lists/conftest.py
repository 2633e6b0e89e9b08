"""A network for lists: the real hub over HTTP, its mailboxes in a folder of the test, two
CPAS (Brussels, Liège) with their seats' postal codes, an institution of another kind, an
operator; the status buffer filled directly (as seeding does)."""

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
from carrefour.directory.domain import Institution, Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.journal.tables import journal_entries
from carrefour.signal.delivery import DeliveryPolicy
from carrefour.statuses import repository
from tests.exchange.conftest import cbe
from tests.people import ALICE, BOB, CAROL, niss
from tests.servers import serving

SECRET = "test-signing-secret-0123456789abcdef"
DAVE = niss(dt.date(1990, 5, 5), 21)  # of Brussels, no status in the period
ERIN = niss(dt.date(1980, 3, 3), 55)  # of Liège, bridging right
LIST = "temporary-unemployment-bridging"
PERIOD = {"start": "2024-03-01", "end": "2024-03-31"}

MEMBERS = {
    # name: (serial, kind, sector, subsector, role, endpoint, postal code, scopes)
    "bcss": (60, "bis-register", 25, 0, Role.SOURCE, "local:bis-register", None, []),
    "cpas-brussels": (61, "cpas", 17, 1, Role.CLIENT, None, "1000", [Scope.CONSULT]),
    "cpas-liege": (62, "cpas", 17, 1, Role.CLIENT, None, "4000", [Scope.CONSULT]),
    "spf-economy": (63, "spf-economy", 70, 3, Role.CLIENT, None, None, [Scope.CONSULT]),
    "operator": (64, "hub", 25, 0, Role.CLIENT, None, None, [Scope.ADMIN, Scope.CONSULT]),
}


@dataclass
class ListNet:
    url: str
    engine: Engine
    hub: Hub
    folder: Path
    institutions: dict[str, Institution]
    tokens: dict[str, str]

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def generate(self, *, fmt: str | None = None, recipients: list[str] | None = None,
                 period: dict[str, str] = PERIOD) -> httpx.Response:
        body: dict[str, Any] = dict(period)
        if fmt:
            body["format"] = fmt
        if recipients:
            body["recipients"] = [self.institutions[r].cbe for r in recipients]
        with self.client("operator") as client:
            return client.post(f"/v1/admin/lists/{LIST}/generate", json=body)

    def file_of(self, response: httpx.Response, who: str) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        cbe_of = self.institutions[who].cbe
        (found,) = [f for f in response.json()["files"] if f["recipient"] == cbe_of]
        return dict(found)

    def outcomes(self, ticket: str) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(journal_entries.c.outcome).where(
                journal_entries.c.ticket == ticket)).scalars())


def fill_buffer(engine: Engine) -> None:
    """ALICE (Brussels, temporary unemployment in March), BOB (Brussels, Laeken: temporary
    unemployment until February: outside the period), CAROL (Brussels, a RIS only), DAVE
    (Brussels, nothing), ERIN (Liège, bridging right from March on, open)."""
    since = dt.date(2000, 1, 1)
    places = [(ALICE, "H-1", "1000"), (BOB, "H-2", "1020"), (CAROL, "H-3", "1000"),
              (DAVE, "H-4", "1000"), (ERIN, "H-5", "4000")]
    found = [(ALICE, "temporary-unemployment", dt.date(2024, 3, 10), dt.date(2024, 4, 30)),
             (BOB, "temporary-unemployment", dt.date(2024, 1, 1), dt.date(2024, 2, 29)),
             (CAROL, "ris", dt.date(2023, 1, 1), None),
             (ERIN, "bridging-right", dt.date(2024, 3, 1), None)]
    with engine.begin() as connection:
        repository.load(connection, [
            {"niss": n, "since": since, "household_id": h, "postal_code": p, "source": "nr"}
            for n, h, p in places], "households")
        repository.load(connection, [
            {"source": "0206737484", "event_id": f"e-{n}-{status}", "niss": n,
             "status": status, "starts_on": start, "ends_on": end, "cancelled": False,
             "effective_on": start, "action_rank": 0, "source_ref": "seed"}
            for n, status, start, end in found], "statuses")


def register(engine: Engine) -> dict[str, Institution]:
    found = {}
    for name, (serial, kind, sector, sub, role, endpoint, postal, _) in MEMBERS.items():
        found[name] = register_institution(engine, InstitutionSpec(
            cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector, subsector=sub,
            kind=kind, role=role, endpoint=endpoint, postal_code=postal))
    return found


def token(url: str, client_id: str, client_secret: str) -> str:
    response = httpx.post(f"{url}/oauth/token", timeout=60, data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret})
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def net(engine: Engine, tmp_path: Path) -> Iterator[ListNet]:
    members = register(engine)
    load_reference_file(engine)
    fill_buffer(engine)
    settings = Settings(database_url=str(engine.url), token_secret=SECRET, data_dir=tmp_path)
    hub = build_hub(settings, engine=engine, delivery=DeliveryPolicy(enabled=False))
    with serving(create_app(hub)) as url:
        tokens = {}
        for name, (*_, scopes) in MEMBERS.items():
            if scopes:
                made = create_credentials(engine, institution_id=members[name].id,
                                          scopes=scopes)
                tokens[name] = token(url, made.client_id, made.client_secret)
        yield ListNet(url=url, engine=engine, hub=hub, folder=tmp_path / "lists",
                      institutions=members, tokens=tokens)
