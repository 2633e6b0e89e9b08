"""The live journal's entries as Arrow batches of the archive's schema (:data:`ARROW_SCHEMA`:
exactly the columns of ``journal_entries``), read fast for the archive and the warehouse.

They are read with the driver's own cursor, ``fetchmany`` at a time (a server-side cursor on
PostgreSQL), without SQLAlchemy's row objects, and each batch's rows turned into columns by
Arrow (SQLite's times, text, parsed there). One statement reads them: they are one snapshot,
and SQLite's write lock is not taken.

(The ADBC SQLite driver, SQLite to Arrow in C, would be faster, but it brings a second copy of
the SQLite library into the process, and two copies on one file do not see each other's
locks: it read a stale snapshot in a trial, and SQLite warns that this can corrupt the file.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from carrefour.db import reading

ARROW_SCHEMA = pa.schema([
    ("seq", pa.int64()),
    ("ticket", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("channel", pa.string()),
    ("action", pa.string()),
    ("client", pa.string()),
    ("end_user_id", pa.string()),
    ("end_user_role", pa.string()),
    ("service", pa.string()),
    ("niss", pa.string()),
    ("quality_code", pa.int32()),
    ("deliberation", pa.string()),
    ("sources", pa.string()),
    ("outcome", pa.string()),
    ("duration_ms", pa.float64()),
    ("prev_hash", pa.string()),
    ("hash", pa.string()),
    ("reference", pa.string()),
    ("format", pa.int16()),
    ("audit_digest", pa.string()),
    ("trace_id", pa.string()),
])
COLUMNS = tuple(ARROW_SCHEMA.names)
Span = tuple[dt.datetime, dt.datetime]  # from (included) to (excluded), aware


def entry_batches(engine: Engine, span: Span | None, *, batch_rows: int
                  ) -> Iterator[pa.RecordBatch]:
    """The live entries journaled in ``span`` (all of them: None), in the order of the
    chain, ``batch_rows`` at a time."""
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    where = "" if span is None else f"WHERE occurred_at >= {mark} AND occurred_at < {mark} "
    query = f"SELECT {', '.join(COLUMNS)} FROM journal_entries {where}ORDER BY seq"
    bounds = () if span is None else tuple(
        stored(moment) if sqlite else moment for moment in span)
    with reading(engine).connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection checked out of the pool has one
        cursor = driver.cursor() if sqlite else driver.cursor(name="carrefour_entries")
        try:
            cursor.execute(query, bounds)
            while rows := cursor.fetchmany(batch_rows):
                yield rows_to_batch(rows)
        finally:
            cursor.close()


def stored(moment: dt.datetime) -> str:
    """A UTC time as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def rows_to_batch(rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    """Rows of ``journal_entries`` (its columns in order) as an Arrow batch of the archive's
    schema; a time without zone (SQLite) is UTC, a time as text (SQLite's) is parsed."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    arrays = [_array(values, field.type) for values, field in zip(
        columns, ARROW_SCHEMA, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=ARROW_SCHEMA)


def _array(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(kind) and values and isinstance(values[0], str):
        return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(kind)
    return pa.array(values, type=kind)
