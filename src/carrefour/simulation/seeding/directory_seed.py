"""Filling the hub's reference directory for the simulated network: its institutions (with the
endpoints and tokens of the simulated sources), every person's integration at their mutuality,
and a few CPAS files; then the demo credentials.

Re-seeding replaces the rows of the simulated institutions only (matched by CBE number): their
integrations and credentials are deleted and written again, other institutions are left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from carrefour.auth.services import Scope, create_credentials
from carrefour.auth.tables import credentials
from carrefour.directory import repository as repo
from carrefour.directory.domain import integration_period
from carrefour.directory.tables import institutions, integrations
from carrefour.simulation.network import (
    BIS_REGISTER_ENDPOINT,
    CPAS,
    DEMO_CPAS_SLUG,
    GERMAN_NAMES,
    NETWORK,
    OPERATOR_SLUG,
    STIB,
    UNIVERSITY,
    SimulatedInstitution,
    endpoint,
)
from carrefour.simulation.population.dossiers_social import JobSeeker
from carrefour.simulation.population.population import Population
from carrefour.simulation.seeding.municipal_cpas import municipal_rows
from carrefour.simulation.seeding.regional_directory import job_seeker_integrations
from carrefour.simulation.seeding.sources_db import Advance, insert_chunks

MUTUALITY_SECTOR, INSURABILITY = 11, 1  # quality code 1 of sector 11: health-care insurability
RIS, HOUSEHOLD_MEMBER = 2, 5  # CPAS quality codes: RIS, household member without aid
CPAS_SECTOR = 17


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoCredentials:
    institution: str  # slug in the simulated network
    name: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CpasFile:
    """A CPAS file to integrate: the institution, the person, the quality code."""

    cpas: str
    niss: str
    quality_code: int


def derive(seed: int, purpose: str, *, length: int = 32) -> str:
    """A secret derived from the seed (hexadecimal): the same seed, the same secret. For a
    simulation only: whoever knows the seed can derive it."""
    digest = hashlib.sha256(f"carrefour-simulation:{seed}:{purpose}".encode()).hexdigest()
    return digest[:length]


def source_token(seed: int, member: SimulatedInstitution) -> str:
    return derive(seed, f"source-token:{member.cbe}")


def institution_rows(*, seed: int, base_port: int, now: dt.datetime
                     ) -> Iterator[tuple[SimulatedInstitution, dict[str, Any]]]:
    """The directory row of every member of the simulated network."""
    for member in NETWORK:
        source = member.simulated_source
        values = {
            "cbe": member.cbe, "name_fr": member.name_fr, "name_nl": member.name_nl,
            "name_de": member.name_de or GERMAN_NAMES.get(member.slug),
            "sector": member.sector, "subsector": member.subsector, "kind": member.kind,
            "role": member.role.value,
            "endpoint": endpoint(member, base_port=base_port) if source else None,
            "source_token": source_token(seed, member) if source else None,
            "postal_code": member.postal_codes[0] if member.postal_codes else None,
            "active": True, "created_at": now,
        }
        if member.kind == "bis-register":
            values["endpoint"] = BIS_REGISTER_ENDPOINT
        yield member, values


def upsert_institutions(connection: Connection, rows: Iterable[tuple[SimulatedInstitution,
                        dict[str, Any]]]) -> dict[str, int]:
    """Insert or update each institution (by CBE number); its id per slug."""
    ids: dict[str, int] = {}
    for member, values in rows:
        existing = connection.execute(
            select(institutions.c.id).where(institutions.c.cbe == member.cbe)
        ).scalar()
        if existing is None:
            result = connection.execute(institutions.insert().values(values))
            key = result.inserted_primary_key
            assert key is not None
            ids[member.slug] = int(key[0])
        else:
            changes = {k: v for k, v in values.items() if k != "created_at"}
            connection.execute(update(institutions).where(institutions.c.id == existing)
                               .values(changes))
            ids[member.slug] = int(existing)
    repo.bump_version(connection)
    return ids


def clear_integrations(connection: Connection, ids: Iterable[int]) -> None:
    """Forget the simulated institutions' integrations and credentials (re-seeding)."""
    chosen = sorted(ids)
    connection.execute(delete(integrations).where(integrations.c.institution_id.in_(chosen)))
    connection.execute(delete(credentials).where(credentials.c.institution_id.in_(chosen)))


def mutuality_integrations(population: Population, ids: Mapping[str, int], now: dt.datetime
                           ) -> Iterator[dict[str, Any]]:
    """Every person integrated at their mutuality (sector 11, quality code 1)."""
    for insured in population.insurance:
        period = integration_period(sector=MUTUALITY_SECTOR, quality_code=INSURABILITY,
                                    starts_on=insured.insured_from, ends_on=insured.insured_until)
        yield repo.integration_values(
            niss=insured.niss, institution_id=ids[insured.mutuality], quality_code=INSURABILITY,
            starts_on=period.starts_on, ends_on=period.ends_on, now=now,
        )


def cpas_integrations(files: Sequence[CpasFile], ids: Mapping[str, int], *, seed: int,
                      today: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """The CPAS files, opened some weeks ago; end dates capped by the code's maximum."""
    rng = random.Random(f"cpas-periods:{seed}")
    rows = []
    for file in files:
        starts_on = today - dt.timedelta(days=rng.randint(7, 180))
        period = integration_period(sector=CPAS_SECTOR, quality_code=file.quality_code,
                                    starts_on=starts_on, ends_on=None)
        rows.append(repo.integration_values(
            niss=file.niss, institution_id=ids[file.cpas], quality_code=file.quality_code,
            starts_on=period.starts_on, ends_on=period.ends_on, now=now,
        ))
    return rows


def write_directory(
    hub_engine: Engine, population: Population, files: Sequence[CpasFile],
    seekers: Sequence[JobSeeker], *, seed: int, base_port: int, today: dt.date,
    advance: Advance | None = None,
) -> tuple[dict[str, int], int]:
    """Institutions and integrations in one transaction: the institutions' ids per slug, and
    the integrations written (mutualities, CPAS files, regional employment services)."""
    now = dt.datetime.combine(today, dt.time(), dt.UTC)
    with hub_engine.begin() as connection:
        ids = upsert_institutions(connection, institution_rows(seed=seed, base_port=base_port,
                                                               now=now))
        upsert_institutions(connection, municipal_rows(now))  # one CPAS per municipality
        clear_integrations(connection, ids.values())
        written = sum(insert_chunks(connection, integrations, rows, advance) for rows in (
            mutuality_integrations(population, ids, now),
            cpas_integrations(files, ids, seed=seed, today=today, now=now),
            job_seeker_integrations(seekers, ids, now),
        ))
        connection.exec_driver_sql("ANALYZE integrations")  # the planner sees the new rows
    return ids, written


def demo_credentials(hub_engine: Engine, ids: Mapping[str, int], *, seed: int
                     ) -> list[DemoCredentials]:
    """Client credentials for every CPAS (consult), the STIB (consult: a client of CPAS data),
    the researcher (consult: its research extracts) and the operator (admin and consult)."""
    issued = []
    for member in NETWORK:
        if member.kind not in (CPAS, STIB, UNIVERSITY) and member.slug != OPERATOR_SLUG:
            continue
        scopes = (Scope.ADMIN, Scope.CONSULT) if member.slug == OPERATOR_SLUG else (Scope.CONSULT,)
        client_id = f"{member.slug}-{derive(seed, 'client-id:' + member.slug, length=8)}"
        secret = derive(seed, f"client-secret:{member.slug}")
        create_credentials(hub_engine, institution_id=ids[member.slug], scopes=scopes,
                           client_id=client_id, client_secret=secret)
        issued.append(DemoCredentials(institution=member.slug, name=member.display_name,
                                      client_id=client_id, client_secret=secret,
                                      scopes=tuple(str(s) for s in scopes)))
    issued.sort(key=lambda c: (c.institution != DEMO_CPAS_SLUG, c.institution))
    return issued

