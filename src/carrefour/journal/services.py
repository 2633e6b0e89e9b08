"""Look-ups in the journal: by ticket (support), by NISS ("who consulted my data"), by
reference (a mutation's intake and every delivery of it), by client (a DPO's view) and the
latest entries (the operators' dashboard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

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


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeFilter:
    """A DPO's filters over the exchanges of their institution (None: no filter)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    niss: str | None = None
    end_user_id: str | None = None
    service: str | None = None


def by_client(
    engine: Engine, client: str, filters: ExchangeFilter, *, limit: int = 1000
) -> list[JournalRecord]:
    """The exchanges ``client`` (a CBE number) made, newest first, within the filters."""
    table = journal_entries
    query = select(table).where(table.c.client == client).order_by(table.c.seq.desc())
    for column, value in (
        (table.c.niss, filters.niss),
        (table.c.end_user_id, filters.end_user_id),
        (table.c.service, filters.service),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(table.c.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(table.c.occurred_at < filters.until)
    with reading(engine).connect() as connection:
        rows = connection.execute(query.limit(limit)).mappings().all()
    return [_record(row) for row in rows]


def recent(engine: Engine, since: dt.datetime, *, limit: int = 50_000) -> list[JournalEntry]:
    """The entries journaled since ``since`` (at most the last ``limit``), oldest first."""
    table = journal_entries
    last = select(func.max(table.c.seq)).scalar_subquery()
    query = (
        select(table)
        .where(table.c.seq > last - limit, table.c.occurred_at >= since)
        .order_by(table.c.seq)
    )
    with reading(engine).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [entry_from_row(row) for row in rows]
