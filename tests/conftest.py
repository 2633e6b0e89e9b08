"""Shared fixtures. The whole suite runs on SQLite by default and on PostgreSQL when
``CARREFOUR_TEST_DATABASE_URL`` points at one (``.ci/run`` does both)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from carrefour.db import build_engine, is_sqlite, metadata
from carrefour.tables import load_all_tables

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CARREFOUR_TEST_DATABASE_URL")
    if url:
        return _own_database(url, os.environ.get("PYTEST_XDIST_WORKER"))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hub.sqlite3'}"


def _own_database(url: str, worker: str | None) -> str:
    """Each pytest-xdist worker gets a PostgreSQL database of its own (``<name>_gw0``...),
    created on first use, so that workers never empty each other's tables."""
    if worker is None:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _journal_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The journal's keys, outside the repository: one chain key and one signing key for the
    whole run (every process of it, hubs and commands alike, links the chain with them), and
    a checkpoint file for the hubs that serve several tests."""
    folder = tmp_path_factory.mktemp("journal-keys")
    names = {
        "CARREFOUR_JOURNAL_KEY_FILE": folder / "journal-key",
        "CARREFOUR_JOURNAL_SIGNING_KEY_FILE": folder / "journal-signing-key.pem",
        "CARREFOUR_JOURNAL_CHECKPOINTS": folder / "journal-checkpoints.jsonl",
    }
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(path) for name, path in names.items()})
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test seals the journal it starts with (an empty one) in a file of its own."""
    path = tmp_path / "journal-checkpoints.jsonl"
    monkeypatch.setenv("CARREFOUR_JOURNAL_CHECKPOINTS", str(path))
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[Engine]:
    load_all_tables()
    engine = build_engine(database_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_schema: Engine) -> Iterator[Engine]:
    """An engine on an empty schema: every table is emptied before each test."""
    _empty_all_tables(_schema)
    yield _schema


def _empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as connection:
        if is_sqlite(str(engine.url)):
            for table in tables:
                connection.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            if names:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, driven by Playwright, for the browser tests of a module."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox"])
        yield launched
        launched.close()
