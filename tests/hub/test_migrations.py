"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from carrefour.db import build_engine, is_sqlite, metadata
from carrefour.journal.chain import verify
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
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(empty_database: Engine) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
    with empty_database.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0006"


def test_entries_journaled_before_the_reference_column_still_verify(
    empty_database: Engine,
) -> None:
    command.upgrade(alembic_config(empty_database), "0002")
    entry = JournalEntry(ticket=new_ticket(), occurred_at=dt.datetime.now(dt.UTC), channel="rest",
                         action="consult", client="0212344876", end_user_id="sw-1",
                         end_user_role="social-worker", service="legal-data", niss="85073003328",
                         quality_code=2, deliberation="CSSS/12/013", outcome="ok",
                         duration_ms=3.25)
    sealed = chain_hash(GENESIS_HASH, 1, entry)
    row = entry_to_row(1, entry, prev_hash=GENESIS_HASH, hash_=sealed)
    del row["reference"], row["audit_digest"]  # the columns do not exist yet
    with empty_database.begin() as connection:
        connection.execute(journal_entries.insert(), [row])
        connection.execute(journal_head.insert(), [{"id": 1, "last_seq": 1, "last_hash": sealed}])

    upgrade(empty_database)

    report = verify(empty_database)
    assert report.ok and report.checked == 1
