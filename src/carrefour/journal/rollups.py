"""The rollups of the archive: for each part, the distinct persons per kind of exchange.

Beside each part of the archive (``journal/month=M/part-N.parquet``) its rollup,
``persons/month=M/part-N.parquet`` (a tree of its own: engines that read the ``journal``
tree never meet it), has one row per (channel, action, service, client, outcome) of the
part's entries that name a person, with the set of those persons; and one row per
(channel, action, service, outcome) with the set over all clients (client null). A set is a
Roaring bitmap of the NISS numbers as 64-bit integers (CRoaring's portable format, column
``numbers``) plus the values that are not eleven digits, kept as text (``others``, nearly
always empty): counts made from rollups are exact.

The data warehouse counts a period's distinct persons from the rollups of the months the
period covers whole instead of reading their entries (:mod:`carrefour.warehouse.persons`).

A rollup is written with its part and moved with it, all or nothing (:mod:`.archive`). Its
SHA-256 is recorded in the part's own Parquet metadata (key :data:`METADATA_KEY`), which the
part's recorded checksum covers: ``journal verify`` checks both. A part without that key
(archived before rollups existed) is read entry by entry by the statistics.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyroaring import BitMap

ROLLUP_DIR = "persons"
METADATA_KEY = b"carrefour.rollup"
KEY_COLUMNS = ("channel", "action", "service", "client", "outcome")
SCHEMA = pa.schema([
    *((name, pa.string()) for name in KEY_COLUMNS),
    ("persons", pa.int64()),  # the set's size
    ("highs", pa.list_(pa.int64())),  # the high halves of the numbers
    ("numbers", pa.list_(pa.large_binary())),  # the low halves, per high half
    ("others", pa.list_(pa.string())),
])
_INPUT = pa.schema([(name, pa.string()) for name in (*KEY_COLUMNS, "niss")])
FLUSH_ROWS = 2_000_000
_NISS = r"^[0-9]{11}$"

# channel, action, service, client (None: all clients), outcome
RollupKey = tuple[str, str, str | None, str | None, str]


@dataclass(slots=True)
class PersonSet:
    """Distinct persons: NISS numbers as integers (a 32-bit Roaring bitmap of the low half
    per high half: 32-bit bitmaps are read and united several times faster than 64-bit
    ones), anything else as text."""

    numbers: dict[int, BitMap] = field(default_factory=dict)
    others: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return sum(len(bitmap) for bitmap in self.numbers.values()) + len(self.others)

    def add_numbers(self, values: npt.NDArray[np.int64]) -> None:
        highs = values >> 32
        if highs.min() == highs.max():  # the usual case: one high half
            self._add(int(highs[0]), values)
            return
        for high in np.unique(highs).tolist():
            self._add(high, values[highs == high])

    def _add(self, high: int, values: npt.NDArray[np.int64]) -> None:
        self.numbers.setdefault(high, BitMap()).update((values & _LOW).astype(np.uint32))

    def integers(self) -> list[int]:
        return sorted(high << 32 | low for high, bitmap in self.numbers.items()
                      for low in bitmap)

    @classmethod
    def union(cls, sets: Sequence[PersonSet]) -> PersonSet:
        """The union of ``sets``; ``sets[0]`` itself when it is the only one."""
        if len(sets) == 1:
            return sets[0]
        halves: dict[int, list[BitMap]] = {}
        for found in sets:
            for high, bitmap in found.numbers.items():
                halves.setdefault(high, []).append(bitmap)
        return cls({high: BitMap.union(*bitmaps) for high, bitmaps in halves.items()},
                   set().union(*(found.others for found in sets)))


_LOW = 0xFFFF_FFFF


def rollup_path(month: str, part: int) -> str:
    return f"{ROLLUP_DIR}/month={month}/part-{part}.parquet"


class RollupBuilder:
    """The person sets of entries given batch by batch (Arrow, with at least the key columns
    and ``niss``); entries without a person are left out."""

    def __init__(self, *, flush_rows: int = FLUSH_ROWS) -> None:
        self._sets: dict[RollupKey, PersonSet] = {}
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._flush_rows = flush_rows

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        table = table.select(_INPUT.names).cast(_INPUT)
        self._pending.append(table.filter(pc.is_valid(table.column("niss"))))
        self._pending_rows += table.num_rows
        if self._pending_rows >= self._flush_rows:
            self._flush()

    def sets(self) -> dict[RollupKey, PersonSet]:
        """Every key's set, the keys over all clients (client None) included."""
        self._flush()
        everyone: dict[RollupKey, list[PersonSet]] = {}
        for (channel, action, service, client, outcome), found in self._sets.items():
            if client is not None:
                everyone.setdefault((channel, action, service, None, outcome), []).append(found)
        return {**self._sets, **{key: PersonSet.union(sets) for key, sets in everyone.items()}}

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        self._pending, self._pending_rows = [], 0
        numbered = pc.match_substring_regex(table.column("niss"), _NISS)
        self._add_numbers(table.filter(numbered))
        self._add_others(table.filter(pc.invert(numbered)))

    def _add_numbers(self, table: pa.Table) -> None:
        persons = table.select(KEY_COLUMNS).append_column(
            "person", pc.cast(table.column("niss"), pa.int64()))
        grouped = persons.group_by(list(KEY_COLUMNS), use_threads=False).aggregate(
            [("person", "list")])
        lists = grouped.column("person_list").combine_chunks()
        values, offsets = lists.values.to_numpy(), lists.offsets.to_numpy()
        for i, key in enumerate(_keys(grouped)):
            self._sets.setdefault(key, PersonSet()).add_numbers(values[offsets[i]:offsets[i + 1]])

    def _add_others(self, table: pa.Table) -> None:
        for row in table.to_pylist():
            key: RollupKey = (row["channel"], row["action"], row["service"], row["client"],
                              row["outcome"])
            self._sets.setdefault(key, PersonSet()).others.add(row["niss"])


def _keys(table: pa.Table) -> Iterator[RollupKey]:
    columns: list[list[Any]] = [table.column(name).to_pylist() for name in KEY_COLUMNS]
    return zip(*columns, strict=True)


def write_rollup(path: Path, sets: dict[RollupKey, PersonSet], *, part: str, entries: int
                 ) -> str:
    """Write ``sets`` to ``path`` (synced), naming the part they roll up; returns the file's
    SHA-256."""
    keys = sorted(sets, key=_order)
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for key in keys:
        for name, value in zip(KEY_COLUMNS, key, strict=True):
            columns[name].append(value)
        found = sets[key]
        for bitmap in found.numbers.values():
            bitmap.run_optimize()
        columns["persons"].append(len(found))
        columns["highs"].append(list(found.numbers))
        columns["numbers"].append([bitmap.serialize() for bitmap in found.numbers.values()])
        columns["others"].append(sorted(found.others))
    table = pa.table(columns, schema=SCHEMA.with_metadata(
        {METADATA_KEY: json.dumps({"part": part, "entries": entries})}))
    pq.write_table(table, path, compression="none")  # bitmaps: compressed already
    return synced_digest(path)


def _order(key: RollupKey) -> tuple[str, ...]:
    return tuple("\uffff" if value is None else value for value in key)


def part_metadata(path: str, sha256: str) -> dict[bytes, bytes]:
    """What a part's Parquet metadata records of its rollup."""
    return {METADATA_KEY: json.dumps({"path": path, "sha256": sha256}).encode()}


@dataclass(frozen=True, slots=True)
class RecordedRollup:
    """A part's rollup, as its part records it."""

    path: str  # relative to the archive folder
    sha256: str

    def file(self, archive_dir: Path) -> Path:
        return archive_dir / self.path


def recorded_rollup(part_file: Path) -> RecordedRollup | None:
    """The rollup ``part_file`` records, None when it records none; raises ``OSError`` or
    an ``ArrowException`` when the part cannot be read."""
    metadata = pq.read_metadata(part_file).metadata or {}
    if METADATA_KEY not in metadata:
        return None
    found = json.loads(metadata[METADATA_KEY])
    return RecordedRollup(path=str(found["path"]), sha256=str(found["sha256"]))


def file_digest(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def synced_digest(path: Path) -> str:
    """The SHA-256 of a file just written, once it is on disk."""
    with path.open("rb") as stream:
        os.fsync(stream.fileno())
        return hashlib.file_digest(stream, "sha256").hexdigest()


def check_rollup(path: Path, *, part: str, entries: int) -> None:
    """Raises ``ValueError`` when ``path`` is not the rollup of ``part`` with ``entries``
    entries (``OSError`` or an ``ArrowException`` when it cannot be read)."""
    names = json.loads((pq.read_schema(path).metadata or {}).get(METADATA_KEY, b"{}"))
    if names != {"part": part, "entries": entries}:
        raise ValueError(f"{path} is not the rollup of {part} ({entries} entries)")


def read_rollup(
    path: Path, *, part: str, entries: int, where: Callable[[RollupKey], bool]
) -> Iterator[tuple[RollupKey, PersonSet]]:
    """The sets of the keys ``where`` selects; raises ``ValueError`` when the file is not
    the rollup of ``part`` with ``entries`` entries (and ``OSError`` or an ``ArrowException``
    when it cannot be read)."""
    table = pq.read_table(path)
    names = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    if names != {"part": part, "entries": entries}:
        raise ValueError(f"{path} is not the rollup of {part} ({entries} entries)")
    keys = list(_keys(table))
    chosen = pa.array([i for i, key in enumerate(keys) if where(key)], pa.int64())
    highs = table.column("highs").take(chosen).to_pylist()
    numbers = table.column("numbers").take(chosen).to_pylist()
    others = table.column("others").take(chosen).to_pylist()
    for i, high, blobs, texts in zip(chosen.to_pylist(), highs, numbers, others, strict=True):
        halves = {h: BitMap.deserialize(blob) for h, blob in zip(high, blobs, strict=True)}
        yield keys[i], PersonSet(halves, set(texts))
