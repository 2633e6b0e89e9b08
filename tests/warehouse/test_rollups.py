"""Distinct persons from the archive's rollups are the persons counted entry by entry: for
months archived whole, in two parts, partly live, and periods that cover a month in part."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from carrefour.journal import rollups
from carrefour.journal.archive import archive_closed_months, archived_parts
from carrefour.journal.chain import append, verify
from carrefour.journal.entries import JournalEntry
from carrefour.warehouse import domain, journal_connection, persons, tally
from carrefour.warehouse.domain import Grouping, parse_period
from carrefour.warehouse.services import PersonsRow, distinct_persons
from tests.warehouse.test_statistics import INSTITUTIONS, entry

NOW = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
UNKNOWN_CLIENT = "0999999999"  # not in the directory: kind "unknown"
CLIENTS = [i.cbe for i in INSTITUTIONS] + [UNKNOWN_CLIENT]
PERSONS = [f"{85_073_000_000 + n:011d}" for n in range(40)] + ["00000000097", "not-a-niss"]
PERIODS = ["2026", "2026-10", "2026-09-15/2026-10-31", "2026-10-01/2026-10-20",
           "2026-09-01/2026-12-31", "2026-11"]


def exchanges(chosen: random.Random, month: int, count: int) -> list[JournalEntry]:
    """Exchanges of a month of 2026: some refused, some not messages, some without person."""
    found = []
    for _ in range(count):
        when = dt.datetime(2026, month, chosen.randint(1, 28), chosen.randint(0, 23),
                           tzinfo=dt.UTC)
        channel, action = chosen.choice([("rest", "consult"), ("soap", "consult"),
                                         ("signal", "deliver-mutation"),
                                         ("signal", "send-mutation"),
                                         ("console", "console-ticket")])
        found.append(entry(when, chosen.choice(CLIENTS), chosen.choice(PERSONS),
                           service=chosen.choice(["unemployment", "address-change"]),
                           outcome=chosen.choice(["ok", "ok", "ok", "not-integrated"]),
                           channel=channel, action=action))
    found.append(entry(dt.datetime(2026, month, 2, tzinfo=dt.UTC), CLIENTS[0], "x"))
    return found


def journal(engine: Engine, entries: list[JournalEntry]) -> None:
    with engine.begin() as connection:
        append(connection, entries)


def counted(entries: list[JournalEntry], period: str, grouping: Grouping) -> list[PersonsRow]:
    """The persons counted one entry at a time, with Python sets."""
    chosen = parse_period(period)
    kinds = {i.cbe: i.kind for i in INSTITUTIONS}
    names = {i.cbe: i.name_fr for i in INSTITUTIONS}
    sets: dict[tuple[str, str], set[str]] = {}
    for e in entries:
        if (e.niss is not None and e.service is not None
                and chosen.start <= e.occurred_at < chosen.end
                and domain.exchanged(channel=e.channel, action=e.action, service=e.service,
                                     outcome=e.outcome)):
            group = e.client if grouping is Grouping.INSTITUTION else kinds.get(
                e.client, "unknown")
            for recipient in (group, "*"):
                sets.setdefault((e.service, recipient), set()).add(e.niss)
    rows = [(datum, recipient != "*", -len(found), recipient) for (datum, recipient), found
            in sets.items()]
    return [PersonsRow(period, datum, recipient, "" if recipient == "*" or grouping is
                       Grouping.KIND else names.get(recipient, recipient), -negated)
            for datum, _, negated, recipient in sorted(rows)]


@pytest.fixture
def archived(engine: Engine, tmp_path: Path) -> Iterator[list[JournalEntry]]:
    """September archived; October archived in two parts, with late entries still live;
    November and December live."""
    chosen = random.Random(12)
    everything: list[JournalEntry] = []
    for batch in ([*exchanges(chosen, 9, 60), *exchanges(chosen, 10, 60)],
                  exchanges(chosen, 10, 30)):
        journal(engine, batch)
        everything += batch
        archive_closed_months(engine, tmp_path, now=NOW)
    late = [*exchanges(chosen, 10, 20), *exchanges(chosen, 11, 40), *exchanges(chosen, 12, 20)]
    journal(engine, late)
    yield everything + late


@pytest.fixture
def rollups_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rollups the statistics read (and could read)."""
    read: list[str] = []
    original = tally.read_rollup

    def spy(path: Path, *, part: str, entries: int, where: Callable[[rollups.RollupKey], bool]
            ) -> Iterator[tuple[rollups.RollupKey, rollups.PersonSet]]:
        found = list(original(path, part=part, entries=entries, where=where))
        read.append(f"{path.parent.name}/{path.name}")  # once read
        return iter(found)

    monkeypatch.setattr(tally, "read_rollup", spy)
    return read


@pytest.mark.parametrize("grouping", list(Grouping))
def test_the_rollups_count_the_persons_the_entries_count(
    engine: Engine, tmp_path: Path, archived: list[JournalEntry], grouping: Grouping,
    rollups_read: list[str],
) -> None:
    for period in PERIODS:
        found = distinct_persons(engine, tmp_path, parse_period(period), grouping,
                                 INSTITUTIONS)
        assert found == counted(archived, period, grouping), period
    # October: for 2026, 2026-10, 2026-09-15/2026-10-31 and 2026-09-01/2026-12-31
    assert rollups_read.count("month=2026-10/part-0.parquet") == 4
    assert rollups_read.count("month=2026-10/part-1.parquet") == 4
    assert rollups_read.count("month=2026-09/part-0.parquet") == 2  # covered whole twice


def test_without_their_rollups_the_parts_are_read_entry_by_entry_with_the_same_counts(
    engine: Engine, tmp_path: Path, archived: list[JournalEntry], rollups_read: list[str],
) -> None:
    with_rollups = {p: distinct_persons(engine, tmp_path, parse_period(p), Grouping.KIND,
                                        INSTITUTIONS) for p in PERIODS}
    for rollup in (tmp_path / rollups.ROLLUP_DIR).rglob("*.parquet"):
        rollup.unlink()
    read_before = len(rollups_read)
    for period in PERIODS:
        assert distinct_persons(engine, tmp_path, parse_period(period), Grouping.KIND,
                                INSTITUTIONS) == with_rollups[period]
    assert len(rollups_read) == read_before  # no rollup could be read: the entries were
    assert not verify(engine, archive_dir=tmp_path).ok  # and verify reports them lost


def test_a_rollup_holds_each_persons_set_once_per_key_and_over_all_clients() -> None:
    builder = rollups.RollupBuilder(flush_rows=3)  # several flushes, one of two halves
    for client, niss in [("c1", "85073000001"), ("c1", "85073000001"), ("c2", "85073000001"),
                         ("c2", "00000000097"),  # below 2**32: another high half
                         ("c2", "85073000002"), ("c2", "x-1"), ("c1", None)]:
        builder.add(pa.table({"channel": ["rest"], "action": ["consult"], "service": ["s"],
                              "client": [client], "outcome": ["ok"], "niss": [niss]}))
    sets = builder.sets()
    sizes = {key[3]: (found.integers(), sorted(found.others))
             for key, found in sets.items()}
    both = [97, 85073000001, 85073000002]
    assert sizes == {"c1": ([85073000001], []), "c2": (both, ["x-1"]), None: (both, ["x-1"])}
    assert [len(found) for found in sets.values()] == [1, 4, 4]


@pytest.mark.parametrize("grouping", list(Grouping))
def test_worker_processes_count_what_the_entries_count(
    engine: Engine, tmp_path: Path, archived: list[JournalEntry], grouping: Grouping,
) -> None:
    period = parse_period("2026-09-15/2026-12-31")  # rollups, parts read and live entries
    with engine.connect() as connection:
        parts = archived_parts(connection)
    with journal_connection(engine, tmp_path, span=period.span) as db:
        found = persons.count_persons(db, tmp_path, parts, period, grouping, INSTITUTIONS,
                                      workers=2, parallel_from=0)
    assert found == counted(archived, period.label, grouping)
