"""The hub's own registers answer a consultation by reading: on SQLite, a status look-up, a
derived-rights look-up and a BIS look-up take no write turn, so they never wait behind the
journal writer or a mutation's intake holding the database's write lock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from carrefour.db import build_engine, metadata
from carrefour.exchange.ports import SourceRequest
from carrefour.identification.source import BisRegisterSource
from carrefour.rights.source import RightsSource
from carrefour.statuses.source import StatusBufferSource
from carrefour.tables import load_all_tables

NISS = "85073003328"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    load_all_tables()
    engine = build_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    metadata.create_all(engine)
    return engine


def _while_a_writer_holds_the_lock(engine: Engine, read: Callable[[], Any]) -> bool:
    """Run ``read`` while another thread holds a write transaction; True if it finished."""
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS held (n INTEGER)"))
            held.set()
            release.wait(30)

    holder = threading.Thread(target=writer)
    holder.start()
    assert held.wait(10)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    finished = not reader.is_alive()
    release.set()
    holder.join()
    reader.join(timeout=30)
    return finished


@pytest.mark.parametrize("source, service", [
    (StatusBufferSource, "harmonised-statuses"),
    (RightsSource, "derived-rights"),
    (BisRegisterSource, "legal-data"),
])
def test_a_local_source_answers_while_the_write_lock_is_held(
    sqlite_engine: Engine, source: Callable[[Engine], Any], service: str,
) -> None:
    local = source(sqlite_engine)
    request = SourceRequest(ticket="T" * 26, service=service, version=1, niss=NISS)
    answers: list[Any] = []
    assert _while_a_writer_holds_the_lock(
        sqlite_engine, lambda: answers.append(asyncio.run(local.answer(request))))
    assert len(answers) == 1
