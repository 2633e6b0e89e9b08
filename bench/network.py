"""A fresh simulated network for one run: the hub's SQLite database, the National Register's
database, the demo CPAS's credentials and the persons to ask about."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text

from carrefour.config import JournalSettings
from carrefour.db import build_engine
from carrefour.directory.tables import institutions, integrations
from carrefour.journal.keys import chain_key, use_key
from carrefour.migrations import upgrade
from carrefour.simulation.network import DEMO_CPAS_SLUG, NATIONAL_REGISTER, NETWORK
from carrefour.simulation.seeding.seed import SeedReport, SourceDatabase, seed_network
from carrefour.simulation.sources.schema import persons

SERVICE = "legal-data"


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    data_dir: Path
    database_url: str  # the hub's
    source: SourceDatabase  # the National Register
    client_id: str  # the demo CPAS
    client_secret: str
    niss: tuple[str, ...]  # persons the National Register has a file on
    client_ids: tuple[str, ...] = ()  # every client id the seed issued
    integrated: tuple[str, ...] = ()  # persons the demo CPAS has an open file on (code 2)


def seed(data_dir: Path, *, persons: int, seed: int, sample: int,
         database_url: str | None = None) -> Network:
    """Seed a network in ``data_dir`` and pick ``sample`` persons of the register; the hub's
    database is a SQLite file there unless ``database_url`` names an empty one."""
    database_url = database_url or f"sqlite:///{data_dir / 'carrefour.sqlite3'}"
    engine = build_engine(database_url)
    # what the seed journals is linked with the key of the hub's data folder, as the hub's is
    use_key(engine, chain_key(JournalSettings.in_folder(data_dir), create=True))
    try:
        upgrade(engine)
        report = seed_network(hub_engine=engine, sources_dir=data_dir / "sources",
                              persons=persons, seed=seed,
                              base_port=free_port() - 1)  # the register listens on base + 1
    finally:
        engine.dispose()
    source = next(s for s in report.sources if s.kind == NATIONAL_REGISTER)
    client_id, secret = _demo_credentials(report)
    return Network(data_dir=data_dir, database_url=database_url, source=source,
                   client_id=client_id, client_secret=secret,
                   niss=_registered(source.database_url, sample=sample, seed=seed),
                   client_ids=tuple(c.client_id for c in report.credentials),
                   integrated=_integrated(database_url, sample=sample, seed=seed))


def empty_database(database_url: str) -> None:
    """Drop every table of the PostgreSQL database (a run seeds its own network)."""
    engine = build_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def backend(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: the hub's database, as the tables name it."""
    return database_url.split(":")[0].split("+")[0]


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _demo_credentials(report: SeedReport) -> tuple[str, str]:
    issued = next(c for c in report.credentials if c.institution == DEMO_CPAS_SLUG)
    return issued.client_id, issued.client_secret


def _registered(database_url: str, *, sample: int, seed: int) -> tuple[str, ...]:
    """Up to ``sample`` NISS numbers of the register, in a shuffled order."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = list(connection.execute(select(persons.c.niss)).scalars())
    finally:
        engine.dispose()
    random.Random(seed).shuffle(found)
    return tuple(found[:sample])


def _integrated(database_url: str, *, sample: int, seed: int) -> tuple[str, ...]:
    """Up to ``sample`` persons the demo CPAS has an open file on with quality code 2 (what a
    service that requires the caller's file can be asked about), in a shuffled order."""
    cbe = next(member.cbe for member in NETWORK if member.slug == DEMO_CPAS_SLUG)
    query = (select(integrations.c.niss)
             .join(institutions, institutions.c.id == integrations.c.institution_id)
             .where(institutions.c.cbe == cbe, integrations.c.quality_code == 2,
                    integrations.c.unregistered_at.is_(None)))
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            found = sorted(set(connection.execute(query).scalars()))
    finally:
        engine.dispose()
    random.Random(seed).shuffle(found)
    return tuple(found[:sample])


def hub_body(niss: str, service: str = SERVICE) -> dict[str, object]:
    """A consultation as the demo CPAS sends it to the hub."""
    return {"service": service, "niss": niss, "capacity": 2,
            "end_user": {"id": "u1", "role": "social-worker"}, "parameters": {}}


def source_body(niss: str, index: int) -> dict[str, object]:
    """The same consultation as the hub sends it to the source (source protocol)."""
    return {"ticket": f"BENCH{index:021d}", "service": SERVICE, "version": 1, "niss": niss,
            "parameters": {}}


def write_bodies(path: Path, bodies: Sequence[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(body, separators=(",", ":")) + "\n" for body in bodies))
    return path
