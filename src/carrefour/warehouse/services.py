"""The data warehouse's use cases: statistics computed with DuckDB from the journal (its live
table and its archive, :mod:`carrefour.warehouse.reader`) — who received which datum about
how many distinct persons, and how the services are used — never from the data exchanged.
A mutation delivered counts as its type exchanged with its subscriber: the journal keeps one
entry per delivery."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine

from carrefour.directory.domain import Institution
from carrefour.journal.archive import ArchivedPart, archived_parts
from carrefour.warehouse import domain
from carrefour.warehouse.domain import Grouping, Period, UsageTable
from carrefour.warehouse.persons import PersonsRow, count_persons
from carrefour.warehouse.reader import journal_connection


@dataclass(frozen=True, slots=True)
class MessagesRow:
    month: str
    service: str
    client_kind: str
    messages: int


@dataclass(frozen=True, slots=True)
class RefusalsRow:
    month: str
    code: str
    refusals: int


@dataclass(frozen=True, slots=True)
class LatencyRow:
    month: str
    service: str
    messages: int
    p50_ms: float
    p90_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    period: str
    messages: list[MessagesRow]
    refusals: list[RefusalsRow]
    latency: list[LatencyRow]

    def table(self, which: UsageTable) -> Sequence[Any]:
        tables: dict[UsageTable, Sequence[Any]] = {
            UsageTable.MESSAGES: self.messages, UsageTable.REFUSALS: self.refusals,
            UsageTable.LATENCY: self.latency}
        return tables[which]


def _sql_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


_MESSAGES = (f"e.channel IN {_sql_list(domain.MESSAGE_CHANNELS)} AND e.action NOT IN "
             f"{_sql_list(domain.NOT_MESSAGES)} AND e.service IS NOT NULL")
_KIND = f"coalesce(r.kind, '{domain.UNKNOWN_KIND}')"


def distinct_persons(
    engine: Engine, archive_dir: Path, period: Period, grouping: Grouping,
    institutions: Iterable[Institution],
) -> list[PersonsRow]:
    """Per datum (service or mutation type): the distinct persons for all recipients
    (``*``), then per recipient institution or kind, most persons first (exact: from the
    archive's rollups where the period covers a month whole, :mod:`.persons`)."""
    known = list(institutions)
    with _connection(engine, archive_dir, period, known) as db:
        return count_persons(db, archive_dir, _parts(engine), period, grouping, known)


def usage(
    engine: Engine, archive_dir: Path, period: Period, institutions: Iterable[Institution]
) -> Usage:
    """Messages per service, month and client kind; refusals per code and month; latency
    percentiles per service and month (the journal's durations)."""
    with _connection(engine, archive_dir, period, institutions) as db:
        return _usage(db, period)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """What the console's statistics page shows."""

    persons: list[PersonsRow]
    usage: Usage


def overview(engine: Engine, archive_dir: Path, period: str, by: str,
             institutions: Iterable[Institution]) -> Overview:
    """The distinct persons and the usage of ``period``, from one reading of the journal; a
    bad period or grouping is refused with its code."""
    chosen, grouping = domain.parse_period(period), domain.parse_grouping(by)
    known = list(institutions)
    with _connection(engine, archive_dir, chosen, known) as db:
        persons = count_persons(db, archive_dir, _parts(engine), chosen, grouping, known)
        return Overview(persons=persons, usage=_usage(db, chosen))


def _parts(engine: Engine) -> list[ArchivedPart]:
    with engine.connect() as connection:
        return archived_parts(connection)


def _usage(db: duckdb.DuckDBPyConnection, period: Period) -> Usage:
    month = "strftime(e.occurred_at, '%Y-%m')"
    messages = db.execute(f"""
        SELECT {month} AS month, e.service, {_KIND} AS kind, count(*) AS n
        FROM journal e LEFT JOIN recipients r ON r.cbe = e.client WHERE {_MESSAGES}
        GROUP BY ALL ORDER BY month, e.service, n DESC, kind""").fetchall()
    refusals = db.execute(f"""
        SELECT {month} AS month, e.outcome, count(*) AS n FROM journal e
        WHERE {_MESSAGES} AND e.outcome IN {_sql_list(domain.refusal_codes())}
        GROUP BY ALL ORDER BY month, n DESC, e.outcome""").fetchall()
    latency = db.execute(f"""
        SELECT {month} AS month, e.service, count(*),
               round(quantile_cont(e.duration_ms, 0.5), 1),
               round(quantile_cont(e.duration_ms, 0.9), 1),
               round(quantile_cont(e.duration_ms, 0.99), 1)
        FROM journal e WHERE {_MESSAGES} GROUP BY ALL ORDER BY month, e.service""").fetchall()
    return Usage(period=period.label, messages=[MessagesRow(*row) for row in messages],
                 refusals=[RefusalsRow(*row) for row in refusals],
                 latency=[LatencyRow(*row) for row in latency])


def _connection(engine: Engine, archive_dir: Path, period: Period,
                institutions: Iterable[Institution]) -> duckdb.DuckDBPyConnection:
    db = journal_connection(engine, archive_dir, span=period.span)
    known = list(institutions)
    db.register("recipients_arrow", pa.table({
        "cbe": pa.array([i.cbe for i in known], pa.string()),
        "name": pa.array([i.name_fr for i in known], pa.string()),
        "kind": pa.array([i.kind for i in known], pa.string()),
    }))
    db.execute("CREATE TABLE recipients AS SELECT * FROM recipients_arrow")
    db.unregister("recipients_arrow")
    return db


def to_csv(rows: Sequence[Any], row_type: type[Any]) -> str:
    """Rows of one of the tables above as CSV, with a header line of its field names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(row_type)])
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()


ROW_TYPES: dict[UsageTable, type[Any]] = {
    UsageTable.MESSAGES: MessagesRow, UsageTable.REFUSALS: RefusalsRow,
    UsageTable.LATENCY: LatencyRow,
}


def persons_csv(engine: Engine, archive_dir: Path, period: str, by: str,
                institutions: Iterable[Institution]) -> str:
    """:func:`distinct_persons` as CSV; a bad period or grouping is refused with its code."""
    chosen, grouping = domain.parse_period(period), domain.parse_grouping(by)
    return to_csv(distinct_persons(engine, archive_dir, chosen, grouping, institutions),
                  PersonsRow)


def usage_csv(engine: Engine, archive_dir: Path, period: str, table: str,
              institutions: Iterable[Institution]) -> str:
    """One table of :func:`usage` as CSV; a bad period or table is refused with its code."""
    chosen, which = domain.parse_period(period), domain.parse_usage_table(table)
    return to_csv(usage(engine, archive_dir, chosen, institutions).table(which),
                  ROW_TYPES[which])
