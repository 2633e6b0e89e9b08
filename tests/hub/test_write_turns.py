"""Every writer of a SQLite database takes one turn order (``carrefour.turns``): a writer that
finds the write lock taken, in this process or another, queues for its turn instead of asking
SQLite, so it never meets SQLite's busy handler (here set to fail at once) and never sleeps in
its back-off. Readers take no turn."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from carrefour import turns
from carrefour.db import build_engine, reading


def _impatient_engine(database: Path) -> Engine:
    """An engine on ``database`` whose connections give up at once on a locked database."""
    engine = build_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    engine.dispose()
    engine = build_engine(f"sqlite:///{database}")

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]

    return engine


def _hold_then_commit(database: str, held: object, release: object) -> None:
    """In another process: hold a write transaction until told to commit."""
    engine = build_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        held.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]
    engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "hub.sqlite3"


def test_a_writer_queues_behind_another_process_instead_of_meeting_the_busy_handler(
    database: Path,
) -> None:
    engine = _impatient_engine(database)
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    other = context.Process(target=_hold_then_commit, args=(str(database), held, release))
    other.start()
    try:
        assert held.wait(30)
        threading.Timer(0.3, release.set).start()
        with engine.begin() as connection:  # busy_timeout 0: without the turn, "locked" now
            connection.execute(text("INSERT INTO t VALUES (2)"))
        with engine.connect() as connection:
            rows = sorted(n for (n,) in connection.execute(text("SELECT n FROM t")))
        assert rows == [1, 2]  # the other process committed first, then this writer
    finally:
        release.set()
        other.join(30)
        engine.dispose()
    assert other.exitcode == 0


def test_writers_of_one_process_take_turns_and_each_gives_it_back(database: Path) -> None:
    engine = _impatient_engine(database)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(20):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 160
    finally:
        engine.dispose()


def test_a_failed_transaction_gives_its_turn_back(database: Path) -> None:
    engine = _impatient_engine(database)
    try:
        with pytest.raises(ZeroDivisionError), engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            raise ZeroDivisionError
        with engine.begin() as connection:  # the turn is free again
            connection.execute(text("INSERT INTO t VALUES (2)"))
        with engine.connect() as connection:
            assert [n for (n,) in connection.execute(text("SELECT n FROM t"))] == [2]
    finally:
        engine.dispose()


def test_a_reader_takes_no_turn(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _impatient_engine(database)
    monkeypatch.setattr(turns, "TURN_TIMEOUT", 0.2)
    try:
        with engine.begin() as writer:
            writer.execute(text("INSERT INTO t VALUES (1)"))
            with reading(engine).connect() as reader:  # no wait for the writer's turn
                assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()


def test_a_writer_that_cannot_get_its_turn_fails_like_a_locked_database(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _impatient_engine(database)
    monkeypatch.setattr(turns, "TURN_TIMEOUT", 0.2)
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (2)"))
        except Exception as error:
            failures.append(error)

    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            other = threading.Thread(target=second_writer)
            other.start()
            other.join(10)
        assert len(failures) == 1 and "database is locked" in str(failures[0])
    finally:
        engine.dispose()
