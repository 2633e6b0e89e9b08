"""The files of an embedded (SQLite) database, and whether this process may write them.

SQLite writes the database file, its write-ahead log (``-wal``) and its shared-memory index
(``-shm``), and creates the last two in the database's folder. A ``-shm`` the process may only
read is mapped read-only, and a write to it kills the process (SIGBUS, with no log line): the
hub checks them before it starts, and readiness checks them while it runs."""

from __future__ import annotations

import os
from pathlib import Path

from carrefour.db import sqlite_file

SUFFIXES = ("", "-wal", "-shm")


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (``None``: not SQLite, or in memory)."""
    return sqlite_file(url)


def unwritable(path: Path) -> str | None:
    """Why this process could not write the database at ``path`` (``None``: it can)."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return (f"the database's folder {folder} is not writable by this user "
                "(SQLite creates its -wal and -shm files there)")
    for suffix in SUFFIXES:
        file = Path(f"{path}{suffix}")
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            return f"{file} is not writable by this user: give it back to the hub's user"
    return None
