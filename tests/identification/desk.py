"""The BIS register as institutions use it through the hub's API, for the tests of ownership
and replacement: creating, correcting and replacing records, the National Register answering
(a source double over real HTTP) and publishing, subscribers reading their pull feeds."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from carrefour.auth.services import Scope, create_credentials
from carrefour.directory.tables import integrations
from carrefour.identification.person import BisPerson
from carrefour.identification.register import get_bis_person
from carrefour.journal import services as journal
from carrefour.journal.entries import JournalEntry
from tests.exchange.conftest import USER, Network
from tests.people import niss

NOWAK = {"last_name": "Nowak", "first_names": ["Jan"], "birth_date": "1990-04-00", "gender": "M"}
REGISTERED = niss(dt.date(1990, 4, 17), 35)  # Jan Nowak's National Register number
REGISTER_RECORD = {
    "niss": REGISTERED, "last_name": "NOWAK", "first_names": ["Jan", "Piotr"],
    "birth_date": "1990-04-17", "gender": "M", "birth_place": "Kraków",
    "address": {"street": "Rue Haute", "number": "1", "postal_code": "1000"},
}


OPERATOR = {"id": "op-7", "role": "operator"}


def _user(who: str) -> dict[str, str]:
    """The end user acting: a social worker at a CPAS, an operator at the hub."""
    return OPERATOR if who in ("operator", "admin-only") else USER


@dataclass
class Desk:
    network: Network
    publishers: dict[str, str] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def opened(cls, network: Network) -> Desk:
        return cls(network)

    # --- the register ------------------------------------------------------------------------
    def create(self, who: str = "cpas", **data: Any) -> str:
        with self.network.client(who) as client:
            response = client.post("/v1/bis-persons", json={**NOWAK, **data, "end_user": USER})
        assert response.status_code == 201, response.text
        created: str = response.json()["niss"]
        return created

    def correct(self, number: str, who: str = "cpas", **changes: Any) -> httpx.Response:
        with self.network.client(who) as client:
            return client.patch(
                f"/v1/bis-persons/{number}", json={"changes": changes, "end_user": _user(who)}
            )

    def replace(self, number: str, new: str, who: str = "cpas") -> httpx.Response:
        with self.network.client(who) as client:
            return client.post(
                f"/v1/bis-persons/{number}/replacement",
                json={"new_niss": new, "end_user": _user(who)},
            )

    def person(self, number: str) -> BisPerson:
        return get_bis_person(self.network.engine, number)

    # --- the National Register ---------------------------------------------------------------
    def register_knows(self, number: str = REGISTERED, **overrides: Any) -> None:
        record = {**REGISTER_RECORD, "niss": number, **overrides}
        self.network.sources["national-register"].files.setdefault("legal-data", {})[number] = {
            k: v for k, v in record.items() if v is not None
        }

    def register_calls(self) -> list[dict[str, Any]]:
        return self.network.sources["national-register"].calls

    def publish(
        self, mutation_type: str, number: str, data: dict[str, Any], *,
        who: str = "national-register", source_id: str | None = None,
    ) -> httpx.Response:
        body = {
            "type": mutation_type, "niss": number,
            "source_id": source_id or f"{who}-{next(self._serial)}",
            "effective_date": dt.date.today().isoformat(), "data": data,
        }
        with self._publisher(who) as client:
            return client.post("/v1/mutations", json=body)

    def _publisher(self, who: str) -> httpx.Client:
        if who not in self.publishers:
            made = create_credentials(
                self.network.engine,
                institution_id=self.network.institutions[who].id,
                scopes=[Scope.PUBLISH],
            )
            response = httpx.post(f"{self.network.url}/oauth/token", data={
                "grant_type": "client_credentials", "client_id": made.client_id,
                "client_secret": made.client_secret})
            response.raise_for_status()
            self.publishers[who] = response.json()["access_token"]
        return httpx.Client(base_url=self.network.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.publishers[who]}"})

    # --- subscribers and the directory -------------------------------------------------------
    def subscribe(self, mutation_type: str, who: str = "cpas") -> None:
        with self.network.client(who) as client:
            response = client.post("/v1/subscriptions", json={"mutation_type": mutation_type})
        assert response.status_code == 201, response.text

    def feed(self, who: str = "cpas") -> list[dict[str, Any]]:
        with self.network.client(who) as client:
            response = client.get("/v1/feed")
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def open_files(self, number: str) -> list[tuple[str, int]]:
        """(holding institution's name, quality code) of the number's open integrations."""
        names = {i.id: name for name, i in self.network.institutions.items()}
        query = select(integrations.c.institution_id, integrations.c.quality_code).where(
            integrations.c.niss == number, integrations.c.unregistered_at.is_(None)
        )
        with self.network.engine.connect() as connection:
            rows = connection.execute(query).all()
        return sorted((names[r.institution_id], r.quality_code) for r in rows)

    # --- the journal -------------------------------------------------------------------------
    def journaled(self, response: httpx.Response) -> JournalEntry:
        record = journal.by_ticket(self.network.engine, response.json()["ticket"])
        assert record is not None
        return record.entry

    def traced(self, reference: str) -> list[JournalEntry]:
        return [r.entry for r in journal.by_reference(self.network.engine, reference)]

    def cbe(self, who: str) -> str:
        return self.network.institutions[who].cbe
