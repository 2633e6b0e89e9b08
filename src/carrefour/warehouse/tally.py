"""Distinct persons counted from person sets: the rollups of the parts a period covers whole and
the sets of the entries read one by one, united per datum and recipient.

Deserializing and uniting the bitmaps is what costs (a year of a national journal: some
100,000 bitmaps). The data are independent of one another, so :func:`tally` counts some of them
(``datums``) and :func:`count` shares them between this process and worker processes. This
module imports little, so that a worker starts fast.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from carrefour.journal.rollups import PersonSet, RollupKey, read_rollup
from carrefour.warehouse import domain

Key = tuple[str, str | None]  # datum, recipient CBE number (None: all recipients together)
Counts = dict[Key, int]  # persons per datum and recipient (a CBE number or a kind)


@dataclass(frozen=True, slots=True)
class RollupFile:
    path: Path
    part: str  # the part it rolls up, as recorded
    entries: int


def selected(key: RollupKey) -> bool:
    """Whether a rollup's key is an exchange of its datum (:func:`domain.exchanged`)."""
    channel, action, service, _client, outcome = key
    return domain.exchanged(channel=channel, action=action, service=service, outcome=outcome)


def count(files: Sequence[RollupFile], direct: Mapping[Key, PersonSet], datums: Sequence[str],
          *, kinds: Mapping[str, str] | None, workers: int) -> Counts:
    """:func:`tally` of every datum, shared between this process and ``workers - 1``
    worker processes (none when ``workers`` is 1)."""
    shares = [sorted(datums)[i::workers] for i in range(max(1, workers))]
    shares = [share for share in shares if share] or [[]]
    if len(shares) == 1:
        return tally(files, direct, shares[0], kinds=kinds)
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    with ProcessPoolExecutor(len(shares) - 1, mp_context=context) as pool:
        futures = [pool.submit(tally, files, _only(direct, share), share, kinds=kinds)
                   for share in shares[1:]]
        counts = tally(files, _only(direct, shares[0]), shares[0], kinds=kinds)
        for future in futures:
            counts.update(future.result())
    return counts


def _only(direct: Mapping[Key, PersonSet], datums: Sequence[str]) -> dict[Key, PersonSet]:
    chosen = set(datums)
    return {key: persons for key, persons in direct.items() if key[0] in chosen}


def tally(files: Sequence[RollupFile], direct: Mapping[Key, PersonSet], datums: Sequence[str],
          *, kinds: Mapping[str, str] | None) -> Counts:
    """The persons of ``datums``, from ``files`` and ``direct``: per recipient institution
    (``kinds`` None) or per kind (``kinds``: the kind of each known client), and for all
    recipients (recipient None)."""
    chosen = set(datums)
    found: dict[Key, list[PersonSet]] = {key: [persons] for key, persons in direct.items()
                                         if key[0] in chosen}
    for file in files:
        for key, persons in read_rollup(file.path, part=file.part, entries=file.entries,
                                        where=lambda key: key[2] in chosen and selected(key)):
            found.setdefault((str(key[2]), key[3]), []).append(persons)
    united = _united(found)
    counts = {key: len(persons) for key, persons in united.items()
              if key[1] is None or kinds is None}
    if kinds is not None:
        counts.update(_per_kind(united, kinds))
    return counts


def _united(found: dict[Key, list[PersonSet]]) -> dict[Key, PersonSet]:
    """Each key's sets united at once (Roaring unites many bitmaps faster than it adds them
    one to another), each list let go as soon as it is united."""
    united = {}
    while found:
        key, sets = found.popitem()
        united[key] = PersonSet.union(sets)
    return united


def _per_kind(united: Mapping[Key, PersonSet], kinds: Mapping[str, str]) -> Counts:
    grouped: dict[Key, list[PersonSet]] = {}
    for (datum, client), persons in united.items():
        if client is not None:
            kind = kinds.get(client, domain.UNKNOWN_KIND)
            grouped.setdefault((datum, kind), []).append(persons)
    return {key: len(PersonSet.union(sets)) for key, sets in grouped.items()}
