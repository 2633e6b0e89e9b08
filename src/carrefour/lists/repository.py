"""Storing lists (SQLAlchemy Core, portable between SQLite and PostgreSQL): the buffer's rows
a definition selects, the files produced and the recipients' choices of format."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, insert, select, update

from carrefour.lists.areas import area_of
from carrefour.lists.domain import ListDefinition, Period, Row
from carrefour.lists.tables import list_choices, list_files
from carrefour.statuses.tables import households, statuses


def rows_by_area(connection: Connection, definition: ListDefinition, period: Period
                 ) -> dict[str, list[Row]]:
    """The status periods of the definition's statuses that overlap the period, of every
    person whose household (on the period's last day) lies in an area: rows per area key, in
    NISS and start order. One query over the statuses joined to the households."""
    s, h = statuses, households
    query = (
        select(s.c.niss, s.c.status, s.c.starts_on, s.c.ends_on, s.c.source, s.c.event_id,
               h.c.household_id, h.c.postal_code, h.c.since)
        .join(h, and_(h.c.niss == s.c.niss, h.c.since <= period.end))
        .where(s.c.cancelled.is_(False), s.c.status.in_(sorted(definition.statuses)),
               s.c.starts_on <= period.end,
               s.c.ends_on.is_(None) | (s.c.ends_on >= period.start))
    )
    newest: dict[tuple[str, str, str], tuple[dt.date, Row, str | None]] = {}
    for r in connection.execute(query):
        key = (r.niss, r.source, r.event_id)
        if key in newest and newest[key][0] >= r.since:
            continue
        row = Row(niss=r.niss, household_id=r.household_id, status=r.status, start=r.starts_on,
                  end=r.ends_on, source=r.source, event_id=r.event_id)
        newest[key] = (r.since, row, r.postal_code)
    found: dict[str, list[Row]] = defaultdict(list)
    areas: dict[str | None, str | None] = {}
    for _since, row, postal_code in newest.values():
        if postal_code not in areas:
            areas[postal_code] = area_of(definition.area, postal_code)
        area = areas[postal_code]
        if area is not None:
            found[area].append(row)
    for rows in found.values():
        rows.sort(key=lambda r: (r.niss, r.start, r.status, r.event_id))
    return dict(found)


def choices(connection: Connection, definition: str) -> dict[int, str]:
    """The format each recipient chose for the list (institution id -> format)."""
    query = select(list_choices.c.institution_id, list_choices.c.format).where(
        list_choices.c.definition == definition)
    return {r.institution_id: r.format for r in connection.execute(query)}


def choose(connection: Connection, definition: str, institution_id: int, fmt: str,
           now: dt.datetime) -> None:
    connection.execute(delete(list_choices).where(
        list_choices.c.definition == definition, list_choices.c.institution_id == institution_id))
    connection.execute(insert(list_choices).values(
        definition=definition, institution_id=institution_id, format=fmt, chosen_at=now))


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFile:
    id: str
    definition: str
    institution_id: int
    format: str
    period: Period
    deliberation: str
    rows: int
    persons: int
    size: int
    sha256: str
    path: str
    ticket: str
    generated_at: dt.datetime
    expires_at: dt.datetime
    removed_at: dt.datetime | None

    def expired(self, now: dt.datetime) -> bool:
        return self.removed_at is not None or self.expires_at <= now


def insert_files(connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    values = list(rows)
    if values:
        connection.execute(insert(list_files), values)


def file_by_id(connection: Connection, file_id: str) -> ListFile | None:
    row = connection.execute(select(list_files).where(list_files.c.id == file_id)
                             ).mappings().first()
    return None if row is None else to_file(row)


def files_of(connection: Connection, institution_id: int, now: dt.datetime, *, limit: int
             ) -> list[ListFile]:
    """The institution's files still in its mailbox, newest first."""
    query = (select(list_files).where(list_files.c.institution_id == institution_id,
                                      list_files.c.removed_at.is_(None),
                                      list_files.c.expires_at > now)
             .order_by(list_files.c.generated_at.desc(), list_files.c.id).limit(limit))
    return [to_file(r) for r in connection.execute(query).mappings()]


def produced(connection: Connection, definition: str, period: Period) -> set[int]:
    """The recipients that already have a file of the list for the period."""
    query = select(list_files.c.institution_id).where(
        list_files.c.definition == definition, list_files.c.period_start == period.start,
        list_files.c.period_end == period.end)
    return set(connection.execute(query).scalars())


def expired_files(connection: Connection, now: dt.datetime, *, limit: int) -> list[ListFile]:
    query = (select(list_files).where(list_files.c.removed_at.is_(None),
                                      list_files.c.expires_at <= now)
             .order_by(list_files.c.expires_at).limit(limit))
    return [to_file(r) for r in connection.execute(query).mappings()]


def mark_removed(connection: Connection, file_ids: Iterable[str], now: dt.datetime) -> None:
    ids = sorted(file_ids)
    if ids:
        connection.execute(update(list_files).where(list_files.c.id.in_(ids))
                           .values(removed_at=now))


def to_file(row: RowMapping) -> ListFile:
    return ListFile(
        id=row["id"], definition=row["definition"], institution_id=row["institution_id"],
        format=row["format"], period=Period(row["period_start"], row["period_end"]),
        deliberation=row["deliberation"], rows=row["rows"], persons=row["persons"],
        size=row["size"], sha256=row["sha256"], path=row["path"], ticket=row["ticket"],
        generated_at=_aware(row["generated_at"]), expires_at=_aware(row["expires_at"]),
        removed_at=None if row["removed_at"] is None else _aware(row["removed_at"]))


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
