"""Look-ups in the archive: the entries of archived months about one ticket, person, reference
or client, for the look-ups of :mod:`.services`, which merge them with the live table's.

The recorded parts (:mod:`.archive`) are read in place by DuckDB, with the condition pushed
down into the Parquet scan and only the columns a :class:`~.services.JournalRecord` needs
(not ``prev_hash`` nor ``format``). What is cheap to know skips files before any is read:

- the parts above the page (``before_seq``) or outside the period (``since``, ``until``: a
  part holds one month);
- for a person, each part's rollup (:mod:`.rollups`, beside the part), which holds every
  person the part names: a part whose rollup does not hold the person is not read (nor its
  footer; a part without a readable rollup is read);
- within the files read, DuckDB skips the row groups whose min/max statistics exclude the
  value: a part is in the order of the chain, so tickets (UUIDv7, time-ordered) and
  references fall in one or two row groups of a month.

The parts are read one at a time, the newest first for a look-up newest first (the oldest
first otherwise), until no part left could hold one of the first ``limit`` entries (the live
table's included): a ticket stops at its part, a page of a person's exchanges at the months
it spans.

A part that cannot be read raises :class:`~carrefour.errors.JournalArchiveUnavailable`: a
look-up never answers as if the archived entries did not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyroaring import BitMap

from carrefour.errors import JournalArchiveUnavailable
from carrefour.journal.archive import ArchivedPart, month_bounds
from carrefour.journal.batches import COLUMNS
from carrefour.journal.rollups import check_rollup, rollup_path

log = logging.getLogger(__name__)

# What a look-up returns of an entry: its record (seq, the entry, its hash).
LOOKUP_COLUMNS = tuple(name for name in COLUMNS if name not in ("prev_hash", "format"))
_ROLLUP_COLUMNS = ["client", "highs", "numbers", "others"]
UNREADABLE = "The journal's archive cannot be read; the look-up is not answered."


@dataclass(frozen=True, slots=True, kw_only=True)
class Where:
    """The archived entries a look-up wants: every column of ``equals`` equal to its value,
    of ``among`` one of its values, of ``present`` not null, ``seq`` below ``before_seq``,
    ``occurred_at`` in [``since``, ``until``) (None: no condition)."""

    equals: Mapping[str, str] = field(default_factory=dict)
    among: Mapping[str, Sequence[str]] = field(default_factory=dict)
    present: tuple[str, ...] = ()
    before_seq: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def entries(
    archive_dir: Path, parts: Iterable[ArchivedPart], where: Where, *, limit: int,
    newest_first: bool, seen: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """The first ``limit`` archived entries ``where`` selects, as rows of
    :data:`LOOKUP_COLUMNS`, by ``seq`` (descending when ``newest_first``). ``seen``: the
    ``seq`` of entries found elsewhere (the live table) that count towards ``limit``: the
    parts that could only hold entries beyond the first ``limit`` are not read."""
    ordered = sorted(parts, key=lambda part: -part.last_seq if newest_first else part.first_seq)
    found: list[dict[str, Any]] = []
    if not ordered or limit <= 0:
        return found
    ranked = _Ranked(limit, newest_first, seen)
    try:
        with duckdb.connect() as db:
            db.execute("SET TimeZone = 'UTC'")
            for part in ordered:
                if not ranked.may_improve(part):
                    break
                if not _may_hold(archive_dir, part, where):
                    continue
                query, values = _query(archive_dir, part, where, limit=limit,
                                       newest_first=newest_first)
                rows: list[dict[str, Any]] = db.sql(query, params=values).to_arrow_table() \
                    .to_pylist()
                found += rows
                ranked.add(row["seq"] for row in rows)
    except (duckdb.Error, OSError) as error:
        log.error("archived journal entries could not be read: %s", error)
        raise JournalArchiveUnavailable(UNREADABLE) from error
    return found


class _Ranked:
    """The ``seq`` of the first ``limit`` entries found so far, to know which parts are left
    that could still hold one of the first ``limit``."""

    def __init__(self, limit: int, newest_first: bool, seen: Iterable[int]) -> None:
        self._limit, self._newest_first = limit, newest_first
        self._seqs: list[int] = []
        self.add(seen)

    def add(self, seqs: Iterable[int]) -> None:
        self._seqs = sorted({*self._seqs, *seqs}, reverse=self._newest_first)[:self._limit]

    def may_improve(self, part: ArchivedPart) -> bool:
        if len(self._seqs) < self._limit:
            return True
        last = self._seqs[-1]
        return part.last_seq > last if self._newest_first else part.first_seq < last


def _may_hold(archive_dir: Path, part: ArchivedPart, where: Where) -> bool:
    if where.before_seq is not None and part.first_seq >= where.before_seq:
        return False
    start, after = month_bounds(part.month)
    if where.since is not None and after <= where.since:
        return False
    if where.until is not None and start >= where.until:
        return False
    niss = where.equals.get("niss")
    return niss is None or _names(archive_dir, part, niss, where.equals.get("client"))


def _names(archive_dir: Path, part: ArchivedPart, niss: str, client: str | None) -> bool:
    """Whether the part may name ``niss`` (with ``client``: in an exchange of that client),
    after its rollup; True when it has no rollup that can be read."""
    path = archive_dir / rollup_path(part.month, part.part)
    if not path.exists():  # archived before rollups existed
        return True
    try:
        check_rollup(path, part=part.path, entries=part.entries)
        table = pq.read_table(path, columns=_ROLLUP_COLUMNS)
    except (OSError, ValueError, pa.ArrowException) as error:
        log.warning("the rollup of %s cannot be read (%s): the part is read", part.path, error)
        return True
    clients = table.column("client")
    table = table.filter(pc.is_null(clients) if client is None else pc.equal(clients, client))
    return _holds(table, niss)


def _holds(table: pa.Table, niss: str) -> bool:
    """Whether a set of the rollup rows ``table`` holds ``niss``."""
    if not (len(niss) == 11 and niss.isascii() and niss.isdigit()):
        return any(niss in others for others in table.column("others").to_pylist())
    number = int(niss)
    high, low = number >> 32, number & 0xFFFF_FFFF
    highs = table.column("highs").to_pylist()
    numbers = table.column("numbers")
    for row, row_highs in enumerate(highs):
        if high in row_highs:
            blob = numbers[row].values[row_highs.index(high)].as_py()
            if low in BitMap.deserialize(blob):
                return True
    return False


def _query(archive_dir: Path, part: ArchivedPart, where: Where, *, limit: int,
           newest_first: bool) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    values: list[Any] = []
    for column, value in sorted(where.equals.items()):
        conditions.append(f"{_column(column)} = ?")
        values.append(value)
    for column, among in sorted(where.among.items()):
        conditions.append(f"list_contains(?::VARCHAR[], {_column(column)})")
        values.append(list(among))
    conditions += [f"{_column(column)} IS NOT NULL" for column in where.present]
    bounds: tuple[tuple[str, object], ...] = (
        ("seq < ?", where.before_seq), ("occurred_at >= ?", where.since),
        ("occurred_at < ?", where.until))
    for condition, bound in bounds:
        if bound is not None:
            conditions.append(condition)
            values.append(bound)
    columns = ", ".join(f'"{name}"' for name in LOOKUP_COLUMNS)
    query = (f"SELECT {columns} FROM read_parquet(?) "
             f"WHERE {' AND '.join(conditions) or 'true'} "
             f"ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT {int(limit)}")
    return query, [str(part.file(archive_dir)), *values]


def _column(name: str) -> str:
    if name not in LOOKUP_COLUMNS:
        raise ValueError(f"{name!r} is not a column of the journal")
    return f'"{name}"'
