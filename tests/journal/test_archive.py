"""The archive: closed months moved to Parquet (Hive layout), verified with the live journal,
all or nothing when a run is interrupted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select, text

from carrefour.config import JournalSettings
from carrefour.journal import archive, partitions
from carrefour.journal.archive import archive_closed_months, archived_parts
from carrefour.journal.batches import ARROW_SCHEMA
from carrefour.journal.chain import append, verify
from carrefour.journal.sealing import Seal, seal
from carrefour.journal.tables import journal_entries
from tests.journal.helpers import EntryFactory

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
MONTHS = {"2026-09": 3, "2026-10": 4, "2026-11": 5, "2026-12": 2}


def journal(engine: Engine, make_entry: EntryFactory, month: str, count: int) -> None:
    start, _ = archive.month_bounds(month)
    entries = [make_entry(occurred_at=start + dt.timedelta(days=1, minutes=i))
               for i in range(count)]
    with engine.begin() as connection:
        append(connection, entries)


@pytest.fixture
def months(engine: Engine, make_entry: EntryFactory) -> Engine:
    for month, count in MONTHS.items():
        journal(engine, make_entry, month, count)
    seal(Seal.from_settings(engine, JournalSettings.from_env()))
    return engine


def live(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(journal_entries))
                   .scalar_one())


def test_closed_months_move_to_hive_parquet_and_verify_across_the_archive(
    months: Engine, tmp_path: Path
) -> None:
    moved = archive_closed_months(months, tmp_path, now=NOW)
    assert [(m.month, m.part, m.entries) for m in moved] == [
        ("2026-09", 0, 3), ("2026-10", 0, 4), ("2026-11", 0, 5)]
    assert live(months) == 2  # December is not closed
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == [f"{tree}/month=2026-{m}/part-0.parquet"
                     for tree in ("journal", "persons") for m in ("09", "10", "11")]
    assert pq.read_schema(tmp_path / files[0]).names == [c.name for c in journal_entries.c]
    per_month = duckdb.sql(
        f"SELECT month, count(*) FROM read_parquet('{tmp_path}/journal/*/*.parquet', "
        "hive_partitioning=true) GROUP BY month ORDER BY month").fetchall()
    assert per_month == [("2026-09", 3), ("2026-10", 4), ("2026-11", 5)]
    report = verify(months, archive_dir=tmp_path)
    assert report.ok, report.problems
    assert report.checked == 14 and report.checkpoints == 1


def test_an_altered_or_lost_archive_file_is_reported(months: Engine, tmp_path: Path) -> None:
    archive_closed_months(months, tmp_path, now=NOW)
    october = tmp_path / "journal/month=2026-10/part-0.parquet"
    table = pq.read_table(october)
    niss = table.column("niss").to_pylist()
    niss[1] = "90010112395"
    pq.write_table(table.set_column(9, ARROW_SCHEMA.field("niss"), [niss]), october)
    altered = verify(months, archive_dir=tmp_path)
    assert [(p.seq, p.kind) for p in altered.problems][:2] == [(4, "archive-file"),
                                                               (5, "altered")]
    october.unlink()
    lost = verify(months, archive_dir=tmp_path)
    assert not lost.ok
    assert any("journal/month=2026-10/part-0.parquet" in p.detail for p in lost.problems)


def test_an_altered_or_lost_rollup_is_reported(months: Engine, tmp_path: Path) -> None:
    archive_closed_months(months, tmp_path, now=NOW)
    rollup = tmp_path / "persons/month=2026-10/part-0.parquet"
    table = pq.read_table(rollup)
    pq.write_table(table.slice(1), rollup)  # a person set dropped
    altered = verify(months, archive_dir=tmp_path)
    assert [(p.seq, p.kind, p.last_seq) for p in altered.problems] == [(4, "rollup", 7)]
    assert "was altered" in altered.problems[0].detail
    rollup.unlink()
    lost = verify(months, archive_dir=tmp_path)
    assert [(p.seq, p.kind) for p in lost.problems] == [(4, "rollup")]
    assert "cannot be read" in lost.problems[0].detail


class Interrupted(Exception):
    pass


def test_an_interrupted_run_moves_nothing_and_the_next_one_completes_it(
    months: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(_folder: Path) -> None:  # the process dies with the file just put in place
        raise Interrupted

    # Only the crash is undone afterwards: undoing the whole monkeypatch would also give the
    # environment back the run's shared checkpoint file, sealed by other tests' journals.
    with monkeypatch.context() as patched:
        patched.setattr(archive, "_sync_folder", crash)
        with pytest.raises(Interrupted):
            archive_closed_months(months, tmp_path, now=NOW)
    assert live(months) == 14
    with months.connect() as connection:
        assert archived_parts(connection) == []
    assert verify(months, archive_dir=tmp_path).checked == 14  # the stray file is not read
    moved = archive_closed_months(months, tmp_path, now=NOW)
    assert [m.month for m in moved] == ["2026-09", "2026-10", "2026-11"]
    assert [m.part for m in moved] == [0, 0, 0]
    assert live(months) == 2
    report = verify(months, archive_dir=tmp_path)
    assert report.ok, report.problems
    assert report.checked == 14


def test_a_failed_commit_leaves_journal_and_archive_as_before(
    months: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise Interrupted

    monkeypatch.setattr(archive, "_record_and_delete", refuse)
    with pytest.raises(Interrupted):
        archive_closed_months(months, tmp_path, now=NOW)
    assert live(months) == 14
    assert list((tmp_path / "journal").rglob("*.parquet")) == []


def test_entries_of_a_closed_month_journaled_late_go_to_its_next_part(
    months: Engine, make_entry: EntryFactory, tmp_path: Path
) -> None:
    archive_closed_months(months, tmp_path, now=NOW)
    journal(months, make_entry, "2026-11", 2)
    moved = archive_closed_months(months, tmp_path, now=NOW)
    assert [(m.month, m.part, m.entries) for m in moved] == [("2026-11", 1, 2)]
    report = verify(months, archive_dir=tmp_path)
    assert report.ok and report.checked == 16


def test_a_large_month_is_read_by_worker_processes_in_the_order_of_the_chain(
    months: Engine, tmp_path: Path
) -> None:
    with months.connect() as connection:
        november = connection.execute(
            select(journal_entries.c.seq, journal_entries.c.hash)
            .where(journal_entries.c.seq.between(8, 12)).order_by(journal_entries.c.seq)).all()
    moved = archive.archive_month(months, tmp_path, "2026-11", batch_rows=2, workers=2)
    assert moved.entries == 5
    table = pq.read_table(tmp_path / "journal/month=2026-11/part-0.parquet")
    assert list(zip(table.column("seq").to_pylist(), table.column("hash").to_pylist(),
                    strict=True)) == [tuple(row) for row in november]
    assert live(months) == 9
    report = verify(months, archive_dir=tmp_path)
    assert report.ok, report.problems


def test_nothing_to_archive_and_bad_months(engine: Engine, tmp_path: Path) -> None:
    assert archive_closed_months(engine, tmp_path, now=NOW) == []
    for bad in ("2026-13", "26-01", "2026-1", "now"):
        with pytest.raises(ValueError, match="is not a month"):
            archive.month_bounds(bad)


def test_on_postgresql_a_month_lives_in_its_partition_until_it_is_archived(
    engine: Engine, make_entry: EntryFactory, tmp_path: Path
) -> None:
    with engine.begin() as connection:
        partitioned = partitions.is_partitioned(connection)
        created = partitions.ensure_months(connection, ["2026-08"])
    assert created == (["2026-08"] if partitioned else [])  # SQLite: one plain table
    journal(engine, make_entry, "2026-08", 3)
    with engine.connect() as connection:
        own = connection.execute(text(
            "SELECT count(*) FROM journal_entries_2026_08")).scalar() if partitioned else 3
    assert own == 3
    archive_closed_months(engine, tmp_path, now=NOW)
    with engine.begin() as connection:
        gone = not partitioned or connection.execute(text(
            "SELECT to_regclass('journal_entries_2026_08')")).scalar() is None
        ahead = partitions.ensure_months(connection, partitions.months_from(NOW))
    assert gone and live(engine) == 0
    assert ahead == []  # the archive run made the months to come (or there are none to make)
    assert verify(engine, archive_dir=tmp_path).checked == 3
