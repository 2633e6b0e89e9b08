"""The journal's archive: closed months moved from the live table to Parquet files.

Layout (a contract: the statistics, researchers' tools and any engine that reads Hive
partitions — DuckDB, Spark, Trino — rely on it)::

    <archive folder>/journal/month=YYYY-MM/part-<n>.parquet

Each file holds entries of one month (their ``occurred_at`` in UTC), ordered by ``seq``, with
exactly the columns of the ``journal_entries`` table (:data:`ARROW_SCHEMA`). A month archived
again later (entries of a closed month journaled late) gets the next part.

Each part has its rollup, ``persons/month=YYYY-MM/part-<n>.parquet``: the distinct persons per
kind of exchange, which the statistics read instead of the entries (:mod:`.rollups`); the
part's Parquet metadata records the rollup's SHA-256.

Moving a month is all or nothing. The files are written beside the tree (``staging/``), put in
place, then one transaction records the part (``journal_archive``) and deletes the entries it
holds; only recorded parts, and their rollups, are part of the archive. A run interrupted
before that commit leaves the journal as it was and, at most, unrecorded files, which the next
run removes before it archives the month again. The chain is untouched: the entries keep their
links, the head and the checkpoints stay where they are, and
:func:`~carrefour.journal.chain.verify` walks the archive and the live table together (and
checks each part and its rollup against their checksums).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
)

from carrefour.journal import partitions, rollups
from carrefour.journal.batches import ARROW_SCHEMA, COLUMNS, entry_batches
from carrefour.journal.tables import journal_archive, journal_entries
from carrefour.settings import read_environment

log = logging.getLogger(__name__)

JOURNAL_DIR = "journal"
STAGING_DIR = "staging"
BATCH_ROWS = 250_000
WORKERS = 2  # processes reading a large month (the entries' conversion to Arrow is the cost)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchivedPart:
    """One file of the archive, as recorded."""

    month: str
    part: int
    path: str  # relative to the archive folder
    entries: int
    first_seq: int
    last_seq: int
    sha256: str

    def file(self, archive_dir: Path) -> Path:
        return archive_dir / self.path


@dataclass(frozen=True, slots=True)
class MonthArchived:
    month: str
    part: int
    entries: int


def archive_dir_from_env() -> Path:
    """``CARREFOUR_ARCHIVE_DIR``, else ``archive`` in the data folder."""
    env = read_environment()
    return env.archive_dir or env.data_dir / "archive"


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` (``YYYY-MM``) and of the month after, in UTC; raises
    ``ValueError`` for anything else."""
    found = _MONTH.match(month)
    if found is None:
        raise ValueError(f"{month[:20]!r} is not a month (YYYY-MM)")
    year, number = int(found.group(1)), int(found.group(2))
    start = dt.datetime(year, number, 1, tzinfo=dt.UTC)
    after = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.UTC)
    return start, after


def part_path(month: str, part: int) -> str:
    return f"{JOURNAL_DIR}/month={month}/part-{part}.parquet"


def archived_parts(connection: Connection) -> list[ArchivedPart]:
    """Every recorded part, in the order of their entries."""
    rows = connection.execute(
        select(journal_archive).order_by(journal_archive.c.first_seq)
    ).mappings()
    return [ArchivedPart(month=r["month"], part=r["part"], path=r["path"], entries=r["entries"],
                         first_seq=r["first_seq"], last_seq=r["last_seq"], sha256=r["sha256"])
            for r in rows]


def closed_months(engine: Engine, *, now: dt.datetime) -> list[str]:
    """The months before ``now``'s that still have entries in the live table, oldest first."""
    current, _ = month_bounds(month_of(now))
    with engine.connect() as connection:
        oldest = connection.execute(
            select(func.min(journal_entries.c.occurred_at))
            .where(journal_entries.c.occurred_at < current)
        ).scalar_one_or_none()
    months: list[str] = []
    if oldest is None:
        return months
    month = month_of(_aware(oldest))
    while month_bounds(month)[0] < current:
        start, after = month_bounds(month)
        if _count(engine, start, after):
            months.append(month)
        month = month_of(after)
    return months


def archive_closed_months(
    engine: Engine, archive_dir: Path, *, now: dt.datetime | None = None,
    batch_rows: int = BATCH_ROWS,
) -> list[MonthArchived]:
    """Move every closed month (before the month of ``now``, default: today in UTC) from the
    live table to the archive; returns what was moved, month by month."""
    moment = now or dt.datetime.now(dt.UTC)
    moved = [archive_month(engine, archive_dir, month, batch_rows=batch_rows)
             for month in closed_months(engine, now=moment)]
    with engine.begin() as connection:  # PostgreSQL: the months to come get their partition
        partitions.ensure_months(connection, partitions.months_from(moment))
    return moved


def archive_month(
    engine: Engine, archive_dir: Path, month: str, *, batch_rows: int = BATCH_ROWS,
    workers: int = WORKERS,
) -> MonthArchived:
    """Move the live entries of ``month`` to its next part, all or nothing."""
    start, after = month_bounds(month)
    part = _next_part(engine, archive_dir, month)
    staging = archive_dir / STAGING_DIR
    staged = (staging / f"month={month}-part-{part}.parquet",
              staging / f"persons-month={month}-part-{part}.parquet")
    staging.mkdir(parents=True, exist_ok=True)
    batches = entry_batches(engine, (start, after), batch_rows=batch_rows, workers=workers)
    written = write_part(staged, month, part, batches)
    if written.entries == 0:
        for path in staged:
            path.unlink(missing_ok=True)
        return MonthArchived(month, part, 0)
    final = (archive_dir / part_path(month, part),
             archive_dir / rollups.rollup_path(month, part))
    for source, target in reversed(list(zip(staged, final, strict=True))):  # the rollup first
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        _sync_folder(target.parent)
    try:
        _record_and_delete(engine, month, part, written, start, after)
    except BaseException:
        for path in final:
            path.unlink(missing_ok=True)  # not recorded: not part of the archive
        raise
    with engine.begin() as connection:  # PostgreSQL: the month's partition, now empty
        partitions.drop_month(connection, month)
    log.info("journal month %s archived: %d entries in %s", month, written.entries, final)
    return MonthArchived(month, part, written.entries)


@dataclass(frozen=True, slots=True)
class WrittenPart:
    entries: int
    first_seq: int
    last_seq: int
    sha256: str


def write_part(paths: tuple[Path, Path], month: str, part: int,
               batches: Iterable[pa.RecordBatch]) -> WrittenPart:
    """Write ``batches`` (entries of ``month``, in the order of the chain) to the part file
    ``paths[0]`` and their rollup to ``paths[1]``, both synced; the part's metadata records
    the rollup (no rollup is written for no entries)."""
    path, rollup = paths
    count, first, last = 0, 0, 0
    persons = rollups.RollupBuilder()
    with pq.ParquetWriter(path, ARROW_SCHEMA, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            persons.add(batch)
            seqs = batch.column(0)
            first = first or int(seqs[0].as_py())
            last = int(seqs[-1].as_py())
            count += batch.num_rows
        if count:
            digest = rollups.write_rollup(rollup, persons.sets(),
                                          part=part_path(month, part), entries=count)
            writer.add_key_value_metadata(
                rollups.part_metadata(rollups.rollup_path(month, part), digest))
    return WrittenPart(count, first, last, rollups.synced_digest(path))


def _record_and_delete(
    engine: Engine, month: str, part: int, written: WrittenPart, start: dt.datetime,
    after: dt.datetime,
) -> None:
    with engine.begin() as connection:
        connection.execute(insert(journal_archive).values(
            month=month, part=part, path=part_path(month, part), entries=written.entries,
            first_seq=written.first_seq, last_seq=written.last_seq, sha256=written.sha256,
            archived_at=dt.datetime.now(dt.UTC)))
        deleted = _delete(connection, written, start, after)
        if deleted != written.entries:  # the month changed meanwhile: nothing is moved
            raise RuntimeError(f"month {month}: {written.entries} entries written to the "
                               f"archive but {deleted} found to delete")


def _delete(connection: Connection, written: WrittenPart, start: dt.datetime,
            after: dt.datetime) -> int:
    """Delete the entries written (found by their range of ``seq``); returns how many."""
    entries = journal_entries.c
    month = and_(entries.seq >= written.first_seq, entries.seq <= written.last_seq,
                 entries.occurred_at >= start, entries.occurred_at < after)
    if connection.dialect.name != "sqlite":
        return int(connection.execute(delete(journal_entries).where(month)).rowcount)
    with _deleted_pages_left_as_they_are(connection):
        if not _most_of_the_table(connection, written):
            return int(connection.execute(delete(journal_entries).where(month)).rowcount)
        return _delete_by_keeping(connection, month)


@contextmanager
def _deleted_pages_left_as_they_are(connection: Connection) -> Iterator[None]:
    """SQLite built with ``secure_delete`` on (Debian's) writes zeros over every page it
    frees: a month's pages, all of them written to the WAL again. Its entries are in the
    archive, so ``FAST`` is as secure here: deleted entries are still cleared from the pages
    that stay, and the freed pages are not rewritten; the connection's mode is given back."""
    mode = connection.exec_driver_sql("PRAGMA secure_delete").scalar_one()
    connection.exec_driver_sql("PRAGMA secure_delete = FAST")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA secure_delete = {int(mode)}")


def _delete_by_keeping(connection: Connection, month: ColumnElement[bool]) -> int:
    """SQLite, most of the table going: a ``DELETE`` of the month would take its entries out
    one by one, and their index rows at random places of each index. Instead what stays is
    copied aside, the table emptied whole (``DELETE`` without ``WHERE``: SQLite frees its
    pages without reading the rows) with its indexes dropped, what stays put back and the
    indexes built again; all in the same transaction (readers keep their snapshot)."""
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
        "tbl_name = 'journal_entries' AND sql IS NOT NULL").all()
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    _kept.create(connection)
    kept = connection.execute(insert(_kept).from_select(
        list(COLUMNS), select(journal_entries).where(~month))).rowcount
    total = connection.execute(delete(journal_entries)).rowcount
    connection.execute(insert(journal_entries).from_select(list(COLUMNS), select(_kept)))
    _kept.drop(connection)
    for _, sql in indexes:
        connection.exec_driver_sql(sql)
    return int(total) - int(kept)


# What stays of the live table while :func:`_delete_by_keeping` empties it (SQLite).
_kept = Table("journal_kept", MetaData(), *(Column(c.name, c.type) for c in journal_entries.c),
              prefixes=["TEMPORARY"])


def _most_of_the_table(connection: Connection, written: WrittenPart) -> bool:
    total = connection.execute(select(func.count()).select_from(journal_entries)).scalar_one()
    return written.entries * 2 >= int(total)


def _next_part(engine: Engine, archive_dir: Path, month: str) -> int:
    """The next part number of ``month``, after removing what an interrupted run left."""
    with engine.connect() as connection:
        parts = [r for r in archived_parts(connection) if r.month == month]
        last = connection.execute(select(func.max(journal_archive.c.part))
                                  .where(journal_archive.c.month == month)).scalar_one_or_none()
    recorded = {r.path for r in parts} | {rollups.rollup_path(month, r.part) for r in parts}
    for tree in (JOURNAL_DIR, rollups.ROLLUP_DIR):
        folder = archive_dir / tree / f"month={month}"
        for stray in folder.glob("*.parquet") if folder.is_dir() else ():
            if f"{tree}/month={month}/{stray.name}" not in recorded:
                log.warning("removing %s, left by an interrupted archive run", stray)
                stray.unlink()
    return 0 if last is None else int(last) + 1


def _count(engine: Engine, start: dt.datetime, after: dt.datetime) -> int:
    query = select(func.count()).select_from(journal_entries).where(
        journal_entries.c.occurred_at >= start, journal_entries.c.occurred_at < after)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def read_part(archive_dir: Path, part: ArchivedPart, *, upto: int,
              batch_rows: int = 5_000) -> Iterator[dict[str, Any]]:
    """The entries of one part up to ``upto``, as rows of ``journal_entries``; raises
    ``FileNotFoundError`` when the file is gone."""
    source = pq.ParquetFile(part.file(archive_dir))
    for batch in source.iter_batches(batch_size=batch_rows, columns=list(COLUMNS)):
        for row in batch.to_pylist():
            if row["seq"] > upto:
                return
            yield row
