"""Look-ups in the journal: by ticket (support), by NISS ("who consulted my data"), by
reference (a mutation's intake and every delivery of it), by client (a DPO's view) and the
latest entries (the operators' dashboard).

Every look-up but the latest entries reads the live table and the archived months together
(:mod:`.archived`, in ``archive_dir``, default: the archive folder of the environment), with
the same answers and order as before the months were archived. The live table is read first,
then the parts recorded: an entry the archive moved meanwhile is found in both and counted
once (by its ``seq``), never in neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, func, select

from carrefour.db import reading
from carrefour.journal import archived
from carrefour.journal.archive import archive_dir_from_env, archived_parts
from carrefour.journal.codec import entry_from_row
from carrefour.journal.entries import JournalEntry
from carrefour.journal.tables import journal_entries


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRecord:
    """An entry as journaled: its place in the chain and its hash."""

    seq: int
    entry: JournalEntry
    hash: str


def by_ticket(
    engine: Engine, ticket: str, *, archive_dir: Path | None = None
) -> JournalRecord | None:
    query = select(journal_entries).where(journal_entries.c.ticket == ticket)
    found = _look_up(engine, archive_dir, query, archived.Where(equals={"ticket": ticket}),
                     limit=1, newest_first=True)
    return found[0] if found else None


def by_niss(
    engine: Engine, niss: str, *, limit: int = 100, before_seq: int | None = None,
    archive_dir: Path | None = None,
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
    where = archived.Where(equals={"niss": niss}, before_seq=before_seq)
    return _look_up(engine, archive_dir, query, where, limit=limit, newest_first=True)


def by_reference(
    engine: Engine, reference: str, *, limit: int = 1000, archive_dir: Path | None = None
) -> list[JournalRecord]:
    """The entries about ``reference`` (an event id), oldest first."""
    query = (
        select(journal_entries)
        .where(journal_entries.c.reference == reference)
        .order_by(journal_entries.c.seq)
        .limit(limit)
    )
    where = archived.Where(equals={"reference": reference})
    return _look_up(engine, archive_dir, query, where, limit=limit, newest_first=False)


def _look_up(
    engine: Engine, archive_dir: Path | None, live: Select[Any], where: archived.Where, *,
    limit: int, newest_first: bool,
) -> list[JournalRecord]:
    """The first ``limit`` entries of the live table (``live``, ordered and limited alike)
    and of the archive (``where``), by ``seq``."""
    with reading(engine).connect() as connection:
        rows: dict[int, Mapping[Any, Any]] = {
            row["seq"]: row for row in connection.execute(live).mappings()}
        parts = archived_parts(connection)  # after the live rows: see the module's doc
    if parts:
        folder = archive_dir or archive_dir_from_env()
        for row in archived.entries(folder, parts, where, limit=limit,
                                    newest_first=newest_first, seen=list(rows)):
            rows.setdefault(row["seq"], row)
    chosen = sorted(rows, reverse=newest_first)[:limit]
    return [_record(rows[seq]) for seq in chosen]


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
    engine: Engine, client: str, filters: ExchangeFilter, *, limit: int = 1000,
    archive_dir: Path | None = None,
) -> list[JournalRecord]:
    """The exchanges ``client`` (a CBE number) made, newest first, within the filters."""
    table = journal_entries
    query = select(table).where(table.c.client == client).order_by(table.c.seq.desc())
    equals = {"client": client}
    for column, value in (
        (table.c.niss, filters.niss),
        (table.c.end_user_id, filters.end_user_id),
        (table.c.service, filters.service),
    ):
        if value is not None:
            query = query.where(column == value)
            equals[column.name] = value
    if filters.since is not None:
        query = query.where(table.c.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(table.c.occurred_at < filters.until)
    where = archived.Where(equals=equals, since=filters.since, until=filters.until)
    return _look_up(engine, archive_dir, query.limit(limit), where, limit=limit,
                    newest_first=True)


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
