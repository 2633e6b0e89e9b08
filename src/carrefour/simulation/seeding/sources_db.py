"""Writing the databases of the simulated sources from a population.

Each source's tables are dropped and created again on the source's own :class:`MetaData`, then
filled with bulk inserts (executemany) in chunks, in one transaction per source; the secondary
indexes are built once the rows are in (one sort each instead of a random insert per row).

A SQLite source is loaded without a rollback journal and with a large page cache: with a journal
(WAL above all) and the default 2 MiB cache, pages spill into the journal and every read looks
them up there, which made a 10-million-person load slow down as it grew. A crash while loading
leaves a file to throw away, which :func:`clear_database` does before the next seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateTable

from carrefour.db import sqlite_file
from carrefour.identification.phonetic import phonetic_keys
from carrefour.simulation.network import (
    MEDIPRIMA,
    MUTUALITY,
    NATIONAL_REGISTER,
    ONEM,
    SimulatedInstitution,
)
from carrefour.simulation.population import dossiers_regional
from carrefour.simulation.population.population import Person, Population
from carrefour.simulation.seeding.record_rows import record_rows
from carrefour.simulation.sources import schema
from carrefour.simulation.sources.kinds import RECORD_KINDS

CHUNK = 10_000
LOAD_CACHE_KIB = 1_048_576
"""The page cache of a SQLite source while it is loaded (1 GiB; allocated as it fills)."""

Advance = Callable[[int], None]
"""Called with the number of rows just written."""


def writer_engine(url: str) -> Engine:
    """An engine to (re)write a source database; SQLite skips fsync while seeding."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url)
    database = sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _fast_pragmas)
    return engine


def clear_database(url: str) -> None:
    """Delete a SQLite source file (and its WAL) so that it is written from scratch."""
    if make_url(url).get_backend_name() != "sqlite":
        return
    database = sqlite_file(url)
    if database is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _fast_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def source_rows(member: SimulatedInstitution, population: Population
                ) -> dict[Table, Iterable[dict[str, Any]]]:
    """The rows of each table of a source's database, for the population."""
    if member.kind == NATIONAL_REGISTER:
        return {
            schema.persons: (person_row(p, population) for p in population.persons),
            schema.phonetic_keys: name_key_rows(p.last_name for p in population.persons),
            **record_rows(member, population),
        }
    if member.kind == ONEM:
        return {schema.unemployment_periods: (
            {"niss": u.niss, "kind": u.kind, "starts_on": u.starts_on, "ends_on": u.ends_on,
             "days": u.days, "daily_allowance_cents": u.daily_allowance_cents}
            for u in population.unemployment), **record_rows(member, population)}
    if member.kind == MUTUALITY:
        return {schema.members: (
            {"niss": i.niss, "holder_code": i.holder_code, "insured_from": i.insured_from,
             "insured_until": i.insured_until, "bim": i.bim, "bim_since": i.bim_since,
             "third_party_payer": i.third_party_payer,
             "medical_house": dossiers_regional.medical_house(i.niss)}
            for i in population.insurance if i.mutuality == member.slug)}
    if member.kind in RECORD_KINDS:
        return record_rows(member, population)
    if member.kind == MEDIPRIMA:
        return {}  # the CPAS take the decisions; none is seeded
    raise ValueError(f"{member.slug} is not a simulated source")


def person_row(person: Person, population: Population) -> dict[str, Any]:
    address = population.household(person.household_id).address
    return {
        "niss": person.niss,
        "last_name": person.last_name,
        "first_names": list(person.first_names),
        "birth_date": person.birth_date,
        "birth_place": person.birth_place,
        "gender": person.gender,
        "nationality": person.nationality,
        "civil_state": person.civil_state,
        "street": address.street,
        "house_number": address.number,
        "box": address.box,
        "postal_code": address.postal_code,
        "municipality": address.municipality,
        "death_date": person.death_date,
        "household_id": person.household_id,
        "relationship": person.relationship,
    }


def name_key_rows(last_names: Iterable[str]) -> list[dict[str, str]]:
    """One row per (phonetic key, distinct last name)."""
    rows: list[dict[str, str]] = []
    for name in sorted(set(last_names)):
        rows.extend({"key": key, "last_name": name} for key in sorted(phonetic_keys(name)))
    return rows


def write_source(
    engine: Engine, kind: str, rows: dict[Table, Iterable[dict[str, Any]]],
    advance: Advance | None = None,
) -> dict[str, int]:
    """Drop and create the source's tables, fill them, then index them; rows written per table."""
    metadata = schema.schema(kind)
    with engine.connect() as connection, _bulk_load(connection):
        metadata.drop_all(connection)
        for table in metadata.sorted_tables:
            connection.execute(CreateTable(table))
        written = {table.name: insert_chunks(connection, table, table_rows, advance)
                   for table, table_rows in rows.items()}
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(connection)
        connection.commit()
    return written


@contextmanager
def _bulk_load(connection: Connection) -> Iterator[None]:
    """SQLite: no journal and a large cache while loading; back to WAL afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA journal_mode=OFF")
    connection.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        connection.rollback()  # nothing left open: the journal mode can change
        connection.exec_driver_sql("PRAGMA cache_size=-2000")
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def insert_chunks(
    connection: Connection, table: Table, rows: Iterable[dict[str, Any]],
    advance: Advance | None = None,
) -> int:
    """Insert rows by chunks of :data:`CHUNK` (one executemany each); the count inserted."""
    count = 0
    for chunk in chunked(rows, CHUNK):
        connection.execute(table.insert(), chunk)
        count += len(chunk)
        if advance:
            advance(len(chunk))
    return count


def chunked(rows: Iterable[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
