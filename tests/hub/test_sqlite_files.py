"""The file behind a SQLite URL, URI filenames included (``file:...?uri=true``): the hub puts
its write lock beside it and creates its folder, and never a folder named ``file:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrefour.db import build_engine, sqlite_file
from carrefour.health.files import sqlite_path


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:////var/hub.sqlite3", "/var/hub.sqlite3"),
    ("sqlite:///var/hub.sqlite3", "var/hub.sqlite3"),
    ("sqlite:///file:/var/hub.sqlite3?mode=ro&uri=true", "/var/hub.sqlite3"),
    ("sqlite:///file:var/hub.sqlite3?uri=true", "var/hub.sqlite3"),
    ("sqlite:///file:///var/hub.sqlite3?mode=ro&uri=true", "/var/hub.sqlite3"),
    ("sqlite:///file://localhost/var/hub.sqlite3?uri=true", "/var/hub.sqlite3"),
    ("sqlite:///file:/var/hub.sqlite3", "file:/var/hub.sqlite3"),  # no uri=true: a plain name
])
def test_a_sqlite_url_names_its_file(url: str, expected: str) -> None:
    assert sqlite_file(url) == Path(expected)
    assert sqlite_path(url) == Path(expected)  # the start checks and readiness agree


@pytest.mark.parametrize("url", [
    "sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?cache=shared&uri=true",
    "sqlite:///file:hub?mode=memory&uri=true", "postgresql+psycopg://postgres@127.0.0.1/x",
])
def test_a_database_in_memory_or_elsewhere_has_no_file(url: str) -> None:
    assert sqlite_file(url) is None


def test_a_uri_filename_takes_its_write_lock_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    database = tmp_path / "data" / "hub.sqlite3"
    engine = build_engine(f"sqlite:///file:{database}?mode=rwc&uri=true")
    try:
        with engine.begin():  # a write transaction takes the write turn
            pass
    finally:
        engine.dispose()
    assert list(work.iterdir()) == []  # no folder named "file:" where the hub runs
    assert Path(f"{database}.write-lock").exists()
