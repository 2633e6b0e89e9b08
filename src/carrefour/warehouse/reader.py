"""The journal as the data warehouse reads it: one DuckDB connection with a ``journal`` view
over the live table and the archive together.

DuckDB reads no database of ours directly (it could only through extensions, which are not
downloaded): the live entries are read into Arrow batches
(:func:`~carrefour.journal.batches.entry_batches`) and copied into the connection; the
archive is read in place with ``read_parquet(..., hive_partitioning=true)`` — only its
recorded parts (:mod:`carrefour.journal.archive`), so that a file an interrupted archive run
left is never counted twice.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Engine

from carrefour.journal.archive import ArchivedPart, archived_parts, month_of
from carrefour.journal.batches import ARROW_SCHEMA, COLUMNS, entry_batches

Span = tuple[dt.datetime, dt.datetime]  # from (included) to (excluded), aware
BATCH_ROWS = 250_000


def journal_connection(
    engine: Engine, archive_dir: Path, *, span: Span | None = None,
    batch_rows: int = BATCH_ROWS,
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection (time zone UTC) with a ``journal`` view: every entry
    of the live table and of the archive in ``archive_dir``, with exactly the columns of the
    ``journal_entries`` table (``occurred_at`` a ``TIMESTAMP WITH TIME ZONE``).

    ``span`` (from, to: aware datetimes, the end excluded) keeps only the entries journaled
    then, and reads only the archived months it touches. The live entries are copied when
    the connection is made; the caller closes the connection. A typical use::

        with journal_connection(engine, settings.journal_archive_dir) as db:
            db.sql("SELECT service, count(DISTINCT niss) FROM journal GROUP BY service")
    """
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute("SET preserve_insertion_order = false")  # queries say their ORDER BY
    stream = pa.RecordBatchReader.from_batches(
        ARROW_SCHEMA, entry_batches(engine, span, batch_rows=batch_rows))
    db.register("journal_live_stream", stream)
    db.execute("CREATE TABLE journal_live AS SELECT * FROM journal_live_stream")
    db.unregister("journal_live_stream")
    with engine.connect() as connection:
        parts = [p for p in archived_parts(connection) if _touches(p, span)]
    db.execute(f"CREATE VIEW journal_archive AS {archive_query(archive_dir, parts, span)}")
    db.execute("CREATE VIEW journal AS SELECT * FROM journal_archive "
               "UNION ALL SELECT * FROM journal_live")
    return db


def _touches(part: ArchivedPart, span: Span | None) -> bool:
    if span is None:
        return True
    last = span[1] - dt.timedelta(microseconds=1)
    return month_of(span[0]) <= part.month <= month_of(last)


def archive_query(archive_dir: Path, parts: list[ArchivedPart], span: Span | None) -> str:
    """A query of the entries of ``parts`` (in ``span``), with the columns of the journal,
    for a connection of :func:`journal_connection`."""
    columns = ", ".join(f'"{name}"' for name in COLUMNS)
    if not parts:
        return f"SELECT {columns} FROM journal_live WHERE false"
    files = ", ".join(_literal(str(part.file(archive_dir))) for part in parts)
    query = (f"SELECT {columns} FROM read_parquet([{files}], hive_partitioning=true, "
             "union_by_name=true)")
    if span is not None:
        query += (f" WHERE occurred_at >= {_literal(span[0].isoformat())}::TIMESTAMPTZ "
                  f"AND occurred_at < {_literal(span[1].isoformat())}::TIMESTAMPTZ")
    return query


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
