"""The live journal's entries as Arrow batches of the archive's schema (:data:`ARROW_SCHEMA`:
exactly the columns of ``journal_entries``), read fast for the archive and the warehouse.

On SQLite, SQLite itself writes a batch of entries as one text, a line per entry with its
values quoted as SQL literals (``printf('%Q')``, ``group_concat``), which Arrow's CSV reader
parses in C: a batch costs two Python objects, not one per value, and is read about three
times faster than through the driver's rows. The batches are read in one read transaction, by
``seq`` (keyset: from the last one read), so they are one snapshot, and SQLite's write lock is
not taken; each batch's count of entries, given by the same statement, is checked.

On PostgreSQL they are read with the driver's own server-side cursor, ``fetchmany`` at a
time, without SQLAlchemy's row objects, and each batch's rows turned into columns by Arrow.

For a large month, ``workers`` processes read ranges of ``seq`` in parallel and hand their
batches over in order.

(The ADBC SQLite driver, SQLite to Arrow in C, would be faster, but it brings a second copy of
the SQLite library into the process, and two copies on one file do not see each other's
locks: it read a stale snapshot in a trial, and SQLite warns that this can corrupt the file.
DuckDB's SQLite scanner would too, and it is an extension to download.)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
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
    if engine.dialect.name == "sqlite":
        return _sqlite_batches(engine, span, batch_rows=batch_rows, seqs=seqs)
    return _cursor_batches(engine, span, batch_rows=batch_rows, seqs=seqs)


def _cursor_batches(engine: Engine, span: Span | None, *, batch_rows: int,
                    seqs: tuple[int, int] | None) -> Iterator[pa.RecordBatch]:
    conditions = [] if seqs is None else ["seq >= %s", "seq <= %s"]
    if span is not None:
        conditions += ["occurred_at >= %s", "occurred_at < %s"]
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    query = f"SELECT {', '.join(COLUMNS)} FROM journal_entries {where}ORDER BY seq"
    with reading(engine).connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection checked out of the pool has one
        cursor = driver.cursor(name="carrefour_entries")
        try:
            cursor.execute(query, (*(seqs or ()), *(span or ())))
            while rows := cursor.fetchmany(batch_rows):
                yield rows_to_batch(rows)
        finally:
            cursor.close()


# One line of text per entry: its values as SQL literals ('it''s', NULL, 12), the float as
# quote() gives it (digits enough to read the same double back). printf() stops a text at a
# NUL character: the bytes of the texts, counted by SQLite too, are checked after parsing.
_TEXTS = tuple(field.name for field in ARROW_SCHEMA if pa.types.is_string(field.type))
_TEXT_BYTES = " + ".join(f"total(length(CAST({name} AS BLOB)))" for name in _TEXTS)
_LINE = "printf('{}', {})".format(
    ",".join("%s" if name == "duration_ms" else "%Q" for name in COLUMNS),
    ", ".join("quote(duration_ms)" if name == "duration_ms" else name for name in COLUMNS))
_CSV_READ = pa_csv.ReadOptions(column_names=list(COLUMNS), use_threads=False)
_CSV_PARSE = pa_csv.ParseOptions(quote_char="'", double_quote=True, newlines_in_values=True)
_CSV_CONVERT = pa_csv.ConvertOptions(
    column_types={field.name: pa.timestamp("us") if field.name == "occurred_at" else field.type
                  for field in ARROW_SCHEMA},
    null_values=["NULL"], strings_can_be_null=True, quoted_strings_can_be_null=False)


def _sqlite_batches(engine: Engine, span: Span | None, *, batch_rows: int,
                    seqs: tuple[int, int] | None) -> Iterator[pa.RecordBatch]:
    conditions = ["seq > ?"] + ([] if seqs is None else ["seq <= ?"])
    if span is not None:
        conditions += ["occurred_at >= ?", "occurred_at < ?"]
    entries = (f"FROM journal_entries WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT ?")
    as_text = (f"SELECT count(*), max(seq), {_TEXT_BYTES}, "
               "CAST(group_concat(line, char(10)) AS BLOB) "
               f"FROM (SELECT seq, {', '.join(_TEXTS)}, {_LINE} AS line {entries})")
    as_rows = f"SELECT {', '.join(COLUMNS)} {entries}"
    after = -1 if seqs is None else seqs[0] - 1
    bounds = (*(seqs[1:] if seqs else ()), *(stored(moment) for moment in span or ()))
    with reading(engine).connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection checked out of the pool has one
        cursor = driver.cursor()
        cursor.execute("BEGIN")  # the batches are one snapshot
        try:
            while True:
                parameters = (after, *bounds, batch_rows)
                count, last, text_bytes, text = cursor.execute(as_text, parameters).fetchone()
                if not count:
                    return
                batch = _parsed(text, count=count, last=last, text_bytes=int(text_bytes))
                if batch is None:  # a text SQLite's printf() cannot write (a NUL character)
                    batch = rows_to_batch(cursor.execute(as_rows, parameters).fetchall())
                yield batch
                after = last
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()


def _parsed(text: bytes, *, count: int, last: int, text_bytes: int) -> pa.RecordBatch | None:
    """The batch of ``count`` entries up to ``last`` that :data:`_LINE` wrote as ``text``;
    None unless it has them all, in order, with ``text_bytes`` bytes of text."""
    try:
        table = pa_csv.read_csv(pa.py_buffer(text), read_options=_CSV_READ,
                                parse_options=_CSV_PARSE, convert_options=_CSV_CONVERT)
    except pa.ArrowInvalid:
        return None
    if table.num_rows != count:
        return None
    seqs = table.column("seq").to_numpy()
    parsed_bytes = sum(int(pc.sum(pc.binary_length(table.column(name))).as_py() or 0)
                       for name in _TEXTS)
    if (int(seqs[-1]), parsed_bytes) != (last, text_bytes) or not bool(
            np.all(seqs[1:] > seqs[:-1])):
        return None
    time = table.column("occurred_at").cast(ARROW_SCHEMA.field("occurred_at").type)
    table = table.set_column(COLUMNS.index("occurred_at"), "occurred_at", time)
    return table.combine_chunks().to_batches(max_chunksize=count)[0]


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
