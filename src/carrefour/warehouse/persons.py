"""Distinct persons per datum and recipient, exact, as sets of persons: from the rollups of the
archive (:mod:`carrefour.journal.rollups`) for the parts of the months a period covers whole,
and from the entries themselves for the rest — the live table, the months the period covers
in part, the parts without a rollup. The sets are united, never added: a person exchanged in
two months, in two parts of a month, or with two recipients of one kind counts once."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from carrefour.directory.domain import Institution
from carrefour.journal.archive import ArchivedPart, month_bounds
from carrefour.journal.rollups import (
    KEY_COLUMNS,
    PersonSet,
    RollupBuilder,
    check_rollup,
    recorded_rollup,
)
from carrefour.warehouse import domain, tally
from carrefour.warehouse.domain import Grouping, Period
from carrefour.warehouse.reader import archive_query
from carrefour.warehouse.tally import Key, RollupFile

log = logging.getLogger(__name__)

DIRECT_BATCH_ROWS = 1_000_000
WORKERS = 2  # processes counting a large period (this one and one worker)
PARALLEL_FROM = 64 * 2**20  # bytes of rollups from which workers share the counting


@dataclass(frozen=True, slots=True)
class PersonsRow:
    """Distinct persons for whom ``datum`` was exchanged with ``recipient`` (a CBE number or
    a kind; ``*``: all recipients together) in ``period``."""

    period: str
    datum: str
    recipient: str
    name: str
    persons: int


def count_persons(
    db: duckdb.DuckDBPyConnection, archive_dir: Path, parts: Iterable[ArchivedPart],
    period: Period, grouping: Grouping, institutions: Iterable[Institution], *,
    workers: int = WORKERS, parallel_from: int = PARALLEL_FROM,
) -> list[PersonsRow]:
    """Per datum, the distinct persons for all recipients (``*``), then per recipient
    institution or kind, most persons first. ``db`` is a connection of
    :func:`~carrefour.warehouse.reader.journal_connection` for ``period``; ``parts`` the
    archived parts (those outside the period are left out). From ``parallel_from`` bytes of
    rollups, ``workers`` processes share the counting."""
    files: list[RollupFile] = []
    direct = []
    for part in parts:
        if not _touches(part, period):
            continue
        rollup = _rollup(archive_dir, part) if _covers(period, part) else None
        if rollup is None:
            direct.append(part)
        else:
            files.append(rollup)
    entries = _entries(db, archive_query(archive_dir, direct, period.span))
    recipients = {i.cbe: i for i in institutions}
    kinds = None if grouping is Grouping.INSTITUTION else {
        cbe: i.kind for cbe, i in recipients.items()}
    size = sum(file.path.stat().st_size for file in files)
    counts = tally.count(files, entries, _datums(files, entries), kinds=kinds,
                         workers=workers if size >= parallel_from else 1)
    return _rows(counts, period, recipients, named=kinds is None)


def _touches(part: ArchivedPart, period: Period) -> bool:
    start, after = month_bounds(part.month)
    return start < period.end and after > period.start


def _covers(period: Period, part: ArchivedPart) -> bool:
    start, after = month_bounds(part.month)
    return period.start <= start and after <= period.end


def _rollup(archive_dir: Path, part: ArchivedPart) -> RollupFile | None:
    """The part's rollup, None when it has none that can be read (its entries are read)."""
    try:
        recorded = recorded_rollup(part.file(archive_dir))
        if recorded is None:
            return None
        rollup = RollupFile(recorded.file(archive_dir), part.path, part.entries)
        check_rollup(rollup.path, part=part.path, entries=part.entries)
    except (OSError, ValueError, pa.ArrowException) as error:
        log.warning("the rollup of %s cannot be read (%s): its entries are read instead",
                    part.path, error)
        return None
    return rollup


def _entries(db: duckdb.DuckDBPyConnection, archived: str) -> dict[Key, PersonSet]:
    """The person sets of the live entries and those of ``archived`` (a query over archived
    parts), per datum and recipient (None: all)."""
    columns = ", ".join([*KEY_COLUMNS, "niss"])
    query = (f"SELECT {columns} FROM journal_live WHERE niss IS NOT NULL UNION ALL "
             f"SELECT {columns} FROM ({archived}) WHERE niss IS NOT NULL")
    builder = RollupBuilder()
    reader: pa.RecordBatchReader = db.sql(query).to_arrow_reader(DIRECT_BATCH_ROWS)
    for batch in reader:
        builder.add(batch)
    found: dict[Key, list[PersonSet]] = {}
    for key, persons in builder.sets().items():
        if tally.selected(key):
            found.setdefault((str(key[2]), key[3]), []).append(persons)
    return {key: PersonSet.union(sets) for key, sets in found.items()}


def _datums(files: list[RollupFile], entries: dict[Key, PersonSet]) -> list[str]:
    found = {datum for datum, _ in entries}
    for file in files:
        services = pq.read_table(file.path, columns=["service"]).column("service")
        found |= {s for s in pc.unique(services).to_pylist() if s is not None}
    return sorted(found)


def _rows(counts: tally.Counts, period: Period, institutions: Mapping[str, Institution], *,
          named: bool) -> list[PersonsRow]:
    """The rows; a recipient ``named`` after its institution (else after nothing: a kind)."""
    rows = []  # datum, rank, -persons, recipient, name
    for (datum, recipient), persons in counts.items():
        if recipient is None:
            rows.append((datum, 0, -persons, domain.ALL_RECIPIENTS, ""))
        else:
            known = institutions.get(recipient)
            name = "" if not named else known.name_fr if known else recipient
            rows.append((datum, 1, -persons, recipient, name))
    return [PersonsRow(period.label, datum, recipient, name, -negated)
            for datum, _, negated, recipient, name in sorted(rows)]
