"""Look-ups in the journal: by ticket (support), by NISS ("who consulted my data") and by
reference (a mutation's intake and every delivery of it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from carrefour.db import reading
from carrefour.journal.codec import entry_from_row
from carrefour.journal.entries import JournalEntry
from carrefour.journal.tables import journal_entries


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRecord:
    """An entry as journaled: its place in the chain and its hash."""

    seq: int
    entry: JournalEntry
    hash: str


def by_ticket(engine: Engine, ticket: str) -> JournalRecord | None:
    query = select(journal_entries).where(journal_entries.c.ticket == ticket)
    with reading(engine).connect() as connection:
        row = connection.execute(query).mappings().one_or_none()
    return None if row is None else _record(row)


def by_niss(
    engine: Engine, niss: str, *, limit: int = 100, before_seq: int | None = None
) -> list[JournalRecord]:
    """The entries about ``niss``, newest first; pass the last ``seq`` seen to page on."""
    query = (
        select(journal_entries)
        .where(journal_entries.c.niss == niss)
        .order_by(journal_entries.c.seq.desc())
        .limit(limit)
    )
    if before_seq is not None:
        query = query.where(journal_entries.c.seq < before_seq)
    with reading(engine).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_record(row) for row in rows]


def by_reference(engine: Engine, reference: str, *, limit: int = 1000) -> list[JournalRecord]:
    """The entries about ``reference`` (an event id), oldest first."""
    query = (
        select(journal_entries)
        .where(journal_entries.c.reference == reference)
        .order_by(journal_entries.c.seq)
        .limit(limit)
    )
    with reading(engine).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_record(row) for row in rows]


def _record(row: Mapping[Any, Any]) -> JournalRecord:
    return JournalRecord(seq=row["seq"], entry=entry_from_row(row), hash=row["hash"])
