"""The live entries read as Arrow batches (for the archive and the warehouse): every value as
it was journaled, whatever its text holds, in the order of the chain."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from carrefour.journal.batches import COLUMNS, entry_batches
from carrefour.journal.chain import append
from carrefour.journal.tables import journal_entries
from tests.journal.helpers import EntryFactory

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
AWKWARD = ["it's, \"quoted\"\nover two lines", "NULL", "", "naïve — ünïcödé ☃", "a\\b\tc",
           "'", "''", ","]


def journal_awkward_texts(engine: Engine, make_entry: EntryFactory, texts: list[str]) -> None:
    entries = [make_entry(occurred_at=START + dt.timedelta(minutes=i), end_user_id=text,
                          deliberation=None if i % 2 else text, duration_ms=1 / 3 + i,
                          quality_code=None if i % 3 == 0 else i, reference=text or None)
               for i, text in enumerate(texts)]
    with engine.begin() as connection:
        append(connection, entries)


def as_journaled(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(journal_entries).order_by(journal_entries.c.seq))
        return [{**row, "occurred_at": _utc(row["occurred_at"])} for row in rows.mappings()]


def as_read(engine: Engine, *, batch_rows: int) -> list[dict[str, object]]:
    batches = list(entry_batches(engine, None, batch_rows=batch_rows))
    assert all(batch.schema.names == list(COLUMNS) for batch in batches)
    return [row for batch in batches for row in batch.to_pylist()]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


@pytest.mark.parametrize("batch_rows", [1, 3, 1_000])
def test_every_value_is_read_as_journaled_whatever_its_text_holds(
    engine: Engine, make_entry: EntryFactory, batch_rows: int
) -> None:
    journal_awkward_texts(engine, make_entry, AWKWARD)
    assert as_read(engine, batch_rows=batch_rows) == as_journaled(engine)


def test_a_text_with_a_nul_character_is_read_whole_on_sqlite(
    engine: Engine, make_entry: EntryFactory
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's text holds no NUL character")
    journal_awkward_texts(engine, make_entry, ["before", "cut\x00here", "after"])
    read = as_read(engine, batch_rows=2)
    assert [row["end_user_id"] for row in read] == ["before", "cut\x00here", "after"]
    assert read == as_journaled(engine)


def test_a_span_keeps_only_the_entries_journaled_then(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal_awkward_texts(engine, make_entry, [f"user-{i}" for i in range(6)])
    span = (START + dt.timedelta(minutes=2), START + dt.timedelta(minutes=5))
    read = [row["end_user_id"] for batch in entry_batches(engine, span, batch_rows=2)
            for row in batch.to_pylist()]
    assert read == ["user-2", "user-3", "user-4"]
