"""Checking the journal after a run: one entry per consultation, and an intact hash chain."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.servers import CARREFOUR
from carrefour.exchange.services import SEARCH_RESULT
from carrefour.journal.tables import journal_entries


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalCheck:
    """Every answered consultation has its entry, and no entry is for a request not sent.

    Requests in flight when wrk stops are written but never answered: the hub may or may not
    have read them, so the count of entries lies between the answers and the requests sent.
    """

    answered: int  # consultations answered by the hub during the measured phases
    sent: int  # requests written to the hub meanwhile
    journaled: int  # entries added meanwhile
    verified: bool  # `carrefour journal verify` passed
    verify_seconds: float

    @property
    def ok(self) -> bool:
        return self.verified and self.answered <= self.journaled <= self.sent


def count_entries(database_url: str) -> int:
    """The entries of the answers: not the entry each other person named in an answer gets
    (``search-result``: a household's members in a status look-up)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(journal_entries)
                .where(journal_entries.c.action != SEARCH_RESULT)).scalar_one())
    finally:
        engine.dispose()


def settled_count(database_url: str, *, quiet: float = 1.0, timeout: float = 30.0) -> int:
    """The number of entries once it has not moved for ``quiet`` seconds (requests still in
    flight when the load generator stopped are answered and journaled meanwhile)."""
    deadline = time.monotonic() + timeout
    last = count_entries(database_url)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = count_entries(database_url)
        if now == last:
            break
        last = now
    return last


def verify_chain(database_url: str, data_dir: Path) -> tuple[bool, float]:
    """Run ``carrefour journal verify --strict`` with the hub's chain key and checkpoints:
    whether it passed, and how long it took."""
    start = time.perf_counter()
    done = subprocess.run(
        [CARREFOUR, "journal", "verify", "--strict", "--database-url", database_url],
        capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": "120", "CARREFOUR_DATA_DIR": str(data_dir)},
    )
    if done.returncode != 0:
        print(done.stdout, done.stderr)
    return done.returncode == 0, time.perf_counter() - start
