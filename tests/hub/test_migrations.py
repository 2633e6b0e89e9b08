"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from carrefour.db import build_engine, is_sqlite, metadata
from carrefour.journal import partitions
from carrefour.journal.chain import append, verify
from carrefour.journal.codec import GENESIS_HASH, chain_hash, entry_to_row
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.tables import journal_entries, journal_head
from carrefour.migrations import alembic_config, upgrade
from carrefour.tables import load_all_tables


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    if is_sqlite(database_url):
        engine = build_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    engine = create_engine(database_url, connect_args={"options": "-csearch_path=migration_check"})
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA migration_check CASCADE"))
    admin.dispose()


def test_migrating_an_empty_database_gives_the_declared_schema(empty_database: Engine) -> None:
    upgrade(empty_database)
    load_all_tables()
    with empty_database.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        context = MigrationContext.configure(connection, opts={
            "include_name": _declared, "include_object": _compared(postgresql=postgresql)})
        differences = compare_metadata(context, metadata)
    assert differences == []


def _declared(name: str | None, kind: str, _parent: object) -> bool:
    """The journal's monthly partitions (PostgreSQL) are made at run time, not declared."""
    return not (kind == "table" and partitions.is_partition(name))


def _compared(*, postgresql: bool) -> Callable[..., bool]:
    """On PostgreSQL the tickets' unique index also covers the partition key, as it must (the
    test below checks it); Alembic compares the declared columns only."""
    def include(_object: object, name: str | None, kind: str, *_: object) -> bool:
        return not (postgresql and kind == "index" and name == "ix_journal_entries_ticket")
    return include


def test_on_postgresql_the_live_journal_is_partitioned_by_month(empty_database: Engine) -> None:
    upgrade(empty_database)
    with empty_database.connect() as connection:
        if connection.dialect.name != "postgresql":
            assert not partitions.is_partitioned(connection)
            return
        assert partitions.is_partitioned(connection)
        keys = connection.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'journal_entries' "
            "AND schemaname = current_schema() "
            "AND indexname IN ('pk_journal_entries', 'ix_journal_entries_ticket') "
            "ORDER BY indexname")).scalars().all()
        month = dt.datetime.now(dt.UTC).strftime("%Y_%m")
        found = connection.execute(text("SELECT to_regclass(:name)"),
                                   {"name": f"journal_entries_{month}"}).scalar()
    assert [k.split(" USING btree ")[1] for k in keys] == [
        "(ticket, occurred_at)", "(seq, occurred_at)"]
    assert found is not None  # this month has its partition


def test_migrating_twice_changes_nothing(empty_database: Engine) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
    with empty_database.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0014"


def an_entry() -> JournalEntry:
    return JournalEntry(ticket=new_ticket(), occurred_at=dt.datetime.now(dt.UTC), channel="rest",
                        action="consult", client="0212344876", end_user_id="sw-1",
                        end_user_role="social-worker", service="legal-data", niss="85073003328",
                        quality_code=2, deliberation="CSSS/12/013", outcome="ok",
                        duration_ms=3.25)


def journal_unkeyed(engine: Engine, count: int, *, columns_missing: tuple[str, ...]) -> None:
    """Entries as the hub wrote them before the chain key: plain SHA-256 links."""
    rows, link = [], GENESIS_HASH
    for seq in range(1, count + 1):
        entry = an_entry()
        sealed = chain_hash(link, seq, entry)
        row = entry_to_row(seq, entry, prev_hash=link, hash_=sealed)
        for column in ("format", *columns_missing):  # not there yet at that revision
            del row[column]
        rows.append(row)
        link = sealed
    with engine.begin() as connection:
        connection.execute(journal_entries.insert(), rows)
        connection.execute(journal_head.insert(), [{"id": 1, "last_seq": count, "last_hash": link}])


@pytest.mark.parametrize(
    ("revision", "columns_missing"),
    [("0002", ("reference", "audit_digest", "trace_id")),
     ("0003", ("audit_digest", "trace_id"))],
)
def test_an_unkeyed_journal_of_an_older_revision_still_verifies_and_continues_keyed(
    empty_database: Engine, revision: str, columns_missing: tuple[str, ...]
) -> None:
    command.upgrade(alembic_config(empty_database), revision)
    journal_unkeyed(empty_database, 3, columns_missing=columns_missing)

    upgrade(empty_database)

    report = verify(empty_database)
    assert report.ok and report.checked == 3
    assert report.keyed_from is None
    with empty_database.begin() as connection:
        assert append(connection, [an_entry(), an_entry()]) == [4, 5]
    report = verify(empty_database)
    assert report.ok, report.problems
    assert (report.checked, report.keyed_from) == (5, 4)
