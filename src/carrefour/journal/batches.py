"""The live journal's entries as Arrow batches of the archive's schema (:data:`ARROW_SCHEMA`:
exactly the columns of ``journal_entries``), read fast for the archive and the warehouse.

They are read with the driver's own cursor, ``fetchmany`` at a time (a server-side cursor on
PostgreSQL), without SQLAlchemy's row objects, and each batch's rows turned into columns by
Arrow (SQLite's times, text, parsed there). One statement reads them: they are one snapshot,
and SQLite's write lock is not taken. Turning the driver's values into Arrow is what costs
(a Python object per value): for a large month, ``workers`` processes read ranges of ``seq``
in parallel and hand their batches over in order.

(The ADBC SQLite driver, SQLite to Arrow in C, would be faster, but it brings a second copy of
the SQLite library into the process, and two copies on one file do not see each other's
locks: it read a stale snapshot in a trial, and SQLite warns that this can corrupt the file.)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, func, select

from carrefour.db import build_engine, reading
from carrefour.journal.tables import journal_entries

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


def entry_batches(engine: Engine, span: Span | None, *, batch_rows: int, workers: int = 1
                  ) -> Iterator[pa.RecordBatch]:
    """The live entries journaled in ``span`` (all of them: None), in the order of the
    chain, ``batch_rows`` at a time; read by ``workers`` processes when more than one."""
    if workers > 1:
        return _parallel_batches(engine, span, batch_rows=batch_rows, workers=workers)
    return _batches(engine, span, batch_rows=batch_rows)


def _batches(engine: Engine, span: Span | None, *, batch_rows: int,
             seqs: tuple[int, int] | None = None) -> Iterator[pa.RecordBatch]:
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    conditions = [] if seqs is None else [f"seq >= {mark}", f"seq <= {mark}"]
    if span is not None:
        conditions += [f"occurred_at >= {mark}", f"occurred_at < {mark}"]
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    query = f"SELECT {', '.join(COLUMNS)} FROM journal_entries {where}ORDER BY seq"
    bounds = (*(seqs or ()), *(
        (stored(moment) if sqlite else moment) for moment in span or ()))
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


def _parallel_batches(engine: Engine, span: Span | None, *, batch_rows: int, workers: int
                      ) -> Iterator[pa.RecordBatch]:
    """The entries read by ranges of ``seq`` in worker processes, at most two ranges per
    worker ahead of the caller. An entry never changes once journaled and new ones come after
    the last ``seq`` read at the start: the ranges hold what one statement would read."""
    with reading(engine).connect() as connection:
        query = select(func.min(journal_entries.c.seq), func.max(journal_entries.c.seq))
        if span is not None:
            query = query.where(journal_entries.c.occurred_at >= span[0],
                                journal_entries.c.occurred_at < span[1])
        first, last = connection.execute(query).one()
    if first is None:
        return
    if last - first < 2 * batch_rows:  # not worth the workers' start
        yield from _batches(engine, span, batch_rows=batch_rows)
        return
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")  # no copy of this process's pools
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[list[pa.RecordBatch]]] = deque()
        for start in range(int(first), int(last) + 1, batch_rows):
            pending.append(pool.submit(_read_range, url, span, start, batch_rows))
            if len(pending) > 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


_engines: dict[str, Engine] = {}  # a worker's engine, made at its first range


def _read_range(url: str, span: Span | None, start: int, size: int) -> list[pa.RecordBatch]:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = build_engine(url, pool_size=1)
    return list(_batches(engine, span, batch_rows=size, seqs=(start, start + size - 1)))


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
