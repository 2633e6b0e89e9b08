"""One turn order for every writer of a SQLite database, in every process.

SQLite lets one writer at a time hold its write lock. A writer that finds it taken waits in
SQLite's busy handler, which sleeps with back-off (1, 2, 5, 10 ... up to 100 ms) and does not
wake when the lock is freed: under a mixed load (the journal writer, the mutation intake, the
delivery workers' claims and records, in several hub processes) a consultation's journal entry
waited hundreds of milliseconds for a lock that had been free for most of that time.

Here every write transaction takes its turn before ``BEGIN IMMEDIATE`` and gives it back right
after its ``COMMIT`` or ``ROLLBACK``: first a lock of the process (threads queue on it and are
woken at once), then a blocking ``flock`` on a file beside the database (processes queue in the
kernel, which wakes the next at once). SQLite's own lock is then always free when a writer asks
for it, so the busy handler is left for writers outside the hub (the CLI, another tool).

The turn is held by the DB-API connection (:class:`TurnConnection`, the ``factory`` of
``sqlite3.connect``), so it is given back exactly when the transaction ends, whoever ends it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

#: How long a writer waits for its turn before giving up as SQLite would ("database is locked").
TURN_TIMEOUT = 30.0

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _process_lock(database: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())


class Turn:
    """The write turn of one database, held from :meth:`take` to :meth:`give_back`."""

    def __init__(self, database: Path) -> None:
        self._lock = _process_lock(database.resolve())
        self._lock_file = f"{database}.write-lock"
        self._descriptor: int | None = None

    def take(self) -> None:
        if not self._lock.acquire(timeout=TURN_TIMEOUT):
            raise sqlite3.OperationalError("database is locked (no write turn within 30 s)")
        try:
            descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            self._lock.release()
            raise sqlite3.OperationalError(f"unable to open the write lock: {error}") from error
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # one open file per turn: each turn is its own
        self._descriptor = descriptor

    def give_back(self) -> None:
        if self._descriptor is None:
            return
        descriptor, self._descriptor = self._descriptor, None
        os.close(descriptor)  # closing releases the flock
        self._lock.release()


class TurnConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions take the database's turn.

    :meth:`begin_writing` takes the turn and begins; ``commit``, ``rollback`` and ``close``
    give it back once SQLite has ended the transaction."""

    _turn: Turn | None = None

    def begin_writing(self, database: Path) -> None:
        if self._turn is None:
            self._turn = Turn(database)
        self._turn.take()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._turn.give_back()
            raise

    def _give_back(self) -> None:
        if self._turn is not None:
            self._turn.give_back()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()
