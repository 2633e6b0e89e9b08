"""Helpers of the journal's tests: tampering with the journal as an intruder would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, update

from carrefour.journal.entries import JournalEntry
from carrefour.journal.tables import journal_entries, journal_head

NISS = "85073003328"
OTHER_NISS = "90010112395"

EntryFactory = Callable[..., JournalEntry]


def tamper(engine: Engine, seq: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(journal_entries).where(journal_entries.c.seq == seq).values(**values)
        )


def remove(engine: Engine, seq: int) -> None:
    with engine.begin() as connection:
        connection.execute(delete(journal_entries).where(journal_entries.c.seq == seq))


def remove_head(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(journal_head))
