"""A SQLite hub database that a test turns read-only while the hub serves it, as when its
disk is remounted read-only (the test may run as root, whom ``chmod`` does not stop): from
then on the engine opens the file with ``mode=ro``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from carrefour.db import build_engine, metadata
from carrefour.tables import load_all_tables


@contextmanager
def written_database(folder: Path) -> Iterator[tuple[Engine, Path]]:
    """A hub database in ``folder`` written by the test (every table), and its file."""
    database = folder / "hub.sqlite3"
    load_all_tables()
    engine = build_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    try:
        yield engine, database
    finally:
        engine.dispose()


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """The hub logged no traceback: an outage is one line, not an error of its code."""
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR
                  and r.name.startswith(("carrefour", "uvicorn"))]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


def read_only_switch(engine: Engine, database: Path) -> Callable[[], None]:
    """What turns ``engine``'s file read-only: its connections are closed, the next ones
    opened read-only."""
    turned = False

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if turned:
            cargs[:] = [f"file:{database}?mode=ro"]
            cparams["uri"] = True

    def turn() -> None:
        nonlocal turned
        turned = True
        engine.dispose()

    return turn
