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

from carrefour.directory.domain import Institution
from carrefour.journal.archive import ArchivedPart, month_bounds
from carrefour.journal.rollups import (
    KEY_COLUMNS,
    PersonSet,
    RollupBuilder,
    RollupKey,
    read_rollup,
    recorded_rollup,
)
from carrefour.warehouse import domain
from carrefour.warehouse.domain import Grouping, Period
from carrefour.warehouse.reader import archive_query

log = logging.getLogger(__name__)

DIRECT_BATCH_ROWS = 1_000_000
# (datum, recipient CBE number); recipient None: all recipients together
Key = tuple[str, str | None]
Exchanged = dict[Key, list[PersonSet]]  # the sets found, one per part and for the entries


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
    period: Period, grouping: Grouping, institutions: Iterable[Institution],
) -> list[PersonsRow]:
    """Per datum, the distinct persons for all recipients (``*``), then per recipient
    institution or kind, most persons first. ``db`` is a connection of
    :func:`~carrefour.warehouse.reader.journal_connection` for ``period``; ``parts`` the
    archived parts (those outside the period are left out)."""
    exchanged: Exchanged = {}
    direct = []
    for part in parts:
        if not _touches(part, period):
            continue
        if not (_covers(period, part) and _add_rollup(exchanged, archive_dir, part)):
            direct.append(part)
    _add_entries(exchanged, db, archive_query(archive_dir, direct, period.span))
    return _rows(_united(exchanged), period, grouping, {i.cbe: i for i in institutions})


def _united(exchanged: Exchanged) -> dict[Key, PersonSet]:
    """Each key's sets united at once (Roaring unites many bitmaps faster than it adds
    them one to another), each list let go as soon as it is united."""
    united = {}
    while exchanged:
        key, sets = exchanged.popitem()
        united[key] = PersonSet.union(sets)
    return united


def _touches(part: ArchivedPart, period: Period) -> bool:
    start, after = month_bounds(part.month)
    return start < period.end and after > period.start


def _covers(period: Period, part: ArchivedPart) -> bool:
    start, after = month_bounds(part.month)
    return period.start <= start and after <= period.end


def _selected(key: RollupKey) -> bool:
    channel, action, service, _client, outcome = key
    return domain.exchanged(channel=channel, action=action, service=service, outcome=outcome)


def _add_rollup(exchanged: Exchanged, archive_dir: Path, part: ArchivedPart) -> bool:
    """Add the part's rollup; False (nothing added) when it has none that can be read."""
    try:
        rollup = recorded_rollup(part.file(archive_dir))
        if rollup is None:
            return False
        found = list(read_rollup(rollup.file(archive_dir), part=part.path,
                                 entries=part.entries, where=_selected))
    except (OSError, ValueError, pa.ArrowException) as error:
        log.warning("the rollup of %s cannot be read (%s): its entries are read instead",
                    part.path, error)
        return False
    for (_channel, _action, service, client, _outcome), persons in found:
        _unite(exchanged, (str(service), client), persons)
    return True


def _add_entries(exchanged: Exchanged, db: duckdb.DuckDBPyConnection, archived: str) -> None:
    """Add the live entries and those of ``archived`` (a query over archived parts)."""
    columns = ", ".join([*KEY_COLUMNS, "niss"])
    query = (f"SELECT {columns} FROM journal_live WHERE niss IS NOT NULL UNION ALL "
             f"SELECT {columns} FROM ({archived}) WHERE niss IS NOT NULL")
    builder = RollupBuilder()
    reader: pa.RecordBatchReader = db.sql(query).to_arrow_reader(DIRECT_BATCH_ROWS)
    for batch in reader:
        builder.add(batch)
    for key, persons in builder.sets().items():
        if _selected(key):
            _unite(exchanged, (str(key[2]), key[3]), persons)


def _unite(exchanged: Exchanged, key: Key, persons: PersonSet) -> None:
    exchanged.setdefault(key, []).append(persons)


def _rows(exchanged: dict[Key, PersonSet], period: Period, grouping: Grouping,
          recipients: Mapping[str, Institution]) -> list[PersonsRow]:
    rows: list[tuple[str, int, int, str, str]] = []  # datum, rank, -persons, recipient, name
    for (datum, client), persons in exchanged.items():
        if client is None:
            rows.append((datum, 0, -len(persons), domain.ALL_RECIPIENTS, ""))
        elif grouping is Grouping.INSTITUTION:
            known = recipients.get(client)
            rows.append((datum, 1, -len(persons), client, known.name_fr if known else client))
    if grouping is Grouping.KIND:
        for (datum, kind), size in _per_kind(exchanged, recipients).items():
            rows.append((datum, 1, -size, kind, ""))
    return [PersonsRow(period.label, datum, recipient, name, -negated)
            for datum, _, negated, recipient, name in sorted(rows)]


def _per_kind(exchanged: dict[Key, PersonSet], recipients: Mapping[str, Institution]
              ) -> dict[tuple[str, str], int]:
    grouped: dict[tuple[str, str], list[PersonSet]] = {}
    for (datum, client), persons in exchanged.items():
        if client is not None:
            known = recipients.get(client)
            kind = known.kind if known else domain.UNKNOWN_KIND
            grouped.setdefault((datum, kind), []).append(persons)
    return {key: len(PersonSet.union(sets)) for key, sets in grouped.items()}
