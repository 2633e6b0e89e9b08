"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from carrefour.db import build_engine, is_sqlite, metadata
from carrefour.migrations import upgrade
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
    assert version == "0002"
