"""The look-ups read the archive with the live table: once a month is archived, its entries are
found by ticket, person, reference and client as before, in the same order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from carrefour.errors import JournalArchiveUnavailable
from carrefour.journal import archive, audit
from carrefour.journal.archive import archive_closed_months, archive_month
from carrefour.journal.chain import append, verify
from carrefour.journal.services import (
    ExchangeFilter,
    JournalRecord,
    by_client,
    by_niss,
    by_reference,
    by_ticket,
)
from tests.journal.helpers import NISS, OTHER_NISS, EntryFactory

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
CPAS, OTHER_CPAS = "0212344876", "0212344975"
EVENT = "0190f5a2-1111-7000-8000-000000000001"


def at(month: str, minute: int) -> dt.datetime:
    return archive.month_bounds(month)[0] + dt.timedelta(days=1, minutes=minute)


@pytest.fixture
def journal(engine: Engine, make_entry: EntryFactory) -> list[str]:
    """Entries about two persons in September, October (archived) and December (live), by
    two CPAS, a mutation's intake and deliveries across the months; their tickets."""
    entries = []
    for month in ("2026-09", "2026-10", "2026-12"):
        entries += [
            make_entry(occurred_at=at(month, 0), client=CPAS),
            make_entry(occurred_at=at(month, 1), client=OTHER_CPAS, niss=OTHER_NISS),
            make_entry(occurred_at=at(month, 2), client=OTHER_CPAS, service="unemployment"),
            make_entry(occurred_at=at(month, 3), niss=None, action="deliver", reference=EVENT),
        ]
    entries.append(make_entry(occurred_at=at("2026-09", 30), niss=OTHER_NISS))  # late
    with engine.begin() as connection:
        append(connection, entries)
    return [entry.ticket for entry in entries]


def everything(engine: Engine, tickets: list[str], archive_dir: Path) -> dict[str, object]:
    """What every look-up answers, to compare before and after archiving."""
    return {
        "tickets": [by_ticket(engine, t, archive_dir=archive_dir) for t in tickets],
        "niss": by_niss(engine, NISS, archive_dir=archive_dir),
        "other": by_niss(engine, OTHER_NISS, archive_dir=archive_dir),
        "reference": by_reference(engine, EVENT, archive_dir=archive_dir),
        "client": by_client(engine, OTHER_CPAS, ExchangeFilter(), archive_dir=archive_dir),
        "filtered": by_client(engine, OTHER_CPAS, ExchangeFilter(
            niss=NISS, service="unemployment", since=at("2026-10", 0)), archive_dir=archive_dir),
    }


def seqs(records: object) -> list[int]:
    assert isinstance(records, list)
    return [record.seq for record in records if isinstance(record, JournalRecord)]


def test_every_look_up_answers_the_same_once_months_are_archived(
    engine: Engine, journal: list[str], tmp_path: Path
) -> None:
    before = everything(engine, journal, tmp_path)
    moved = archive_closed_months(engine, tmp_path, now=NOW)
    assert [(m.month, m.entries) for m in moved] == [("2026-09", 5), ("2026-10", 4)]

    after = everything(engine, journal, tmp_path)

    assert after == before
    assert all(record is not None for record in after["tickets"])  # type: ignore[attr-defined]
    assert seqs(after["niss"]) == [11, 9, 7, 5, 3, 1]
    assert seqs(after["other"]) == [13, 10, 6, 2]  # the late September entry in its place
    assert seqs(after["reference"]) == [4, 8, 12]
    assert seqs(after["filtered"]) == [11, 7]
    assert verify(engine, archive_dir=tmp_path).ok


def test_a_person_s_exchanges_are_paged_across_the_live_table_and_the_archive(
    engine: Engine, journal: list[str], tmp_path: Path
) -> None:
    archive_closed_months(engine, tmp_path, now=NOW)

    pages = [by_niss(engine, NISS, limit=2, archive_dir=tmp_path)]
    while len(pages[-1]) == 2:
        pages.append(by_niss(engine, NISS, limit=2, before_seq=pages[-1][-1].seq,
                             archive_dir=tmp_path))

    assert [seqs(page) for page in pages] == [[11, 9], [7, 5], [3, 1], []]


def test_a_month_archived_in_two_parts_is_read_whole(
    engine: Engine, journal: list[str], make_entry: EntryFactory, tmp_path: Path
) -> None:
    archive_closed_months(engine, tmp_path, now=NOW)
    late = make_entry(occurred_at=at("2026-10", 40), client=CPAS)
    with engine.begin() as connection:
        append(connection, [late])
    assert archive_month(engine, tmp_path, "2026-10").part == 1

    assert seqs(by_niss(engine, NISS, limit=3, archive_dir=tmp_path)) == [14, 11, 9]
    found = by_ticket(engine, late.ticket, archive_dir=tmp_path)
    assert found is not None and found.entry == late


def test_an_unknown_ticket_or_person_finds_nothing_in_the_archive_either(
    engine: Engine, journal: list[str], tmp_path: Path
) -> None:
    archive_closed_months(engine, tmp_path, now=NOW)

    assert by_ticket(engine, "0190f5a2-0000-7000-8000-000000000000", archive_dir=tmp_path) is None
    assert by_niss(engine, "71020203156", archive_dir=tmp_path) == []
    assert by_client(engine, "0999999999", ExchangeFilter(), archive_dir=tmp_path) == []


def test_a_part_whose_rollup_does_not_name_the_person_is_not_read(
    engine: Engine, make_entry: EntryFactory, tmp_path: Path
) -> None:
    with engine.begin() as connection:
        append(connection, [make_entry(occurred_at=at("2026-09", 0), niss=OTHER_NISS),
                            make_entry(occurred_at=at("2026-10", 0))])
    archive_closed_months(engine, tmp_path, now=NOW)
    september = tmp_path / archive.part_path("2026-09", 0)
    september.write_bytes(b"not parquet")  # read, it would fail

    assert seqs(by_niss(engine, NISS, archive_dir=tmp_path)) == [2]
    with pytest.raises(JournalArchiveUnavailable):
        by_niss(engine, OTHER_NISS, archive_dir=tmp_path)


def test_a_lost_archive_file_fails_the_look_up_instead_of_hiding_its_entries(
    engine: Engine, journal: list[str], tmp_path: Path
) -> None:
    archive_closed_months(engine, tmp_path, now=NOW)
    (tmp_path / archive.part_path("2026-10", 0)).unlink()

    with pytest.raises(JournalArchiveUnavailable) as raised:
        by_ticket(engine, journal[4], archive_dir=tmp_path)
    assert raised.value.code == "journal-archive-unavailable"


def _change(engine: Engine, key: str, before: dict[str, str] | None, after: dict[str, str]
            ) -> None:
    stamp = audit.operator_stamp(channel="rest", action="admin-institution", client=CPAS,
                                 end_user_id="op-1", end_user_role="operator")
    with engine.begin() as connection:
        audit.commit(connection, stamp, [audit.Change(audit.Kind.INSTITUTION, key, before,
                                                      after)])


def test_the_audit_trail_shows_the_changes_whose_entries_are_archived(
    engine: Engine, tmp_path: Path
) -> None:
    _change(engine, "0212344876", None, {"name": "CPAS de Namur"})
    _change(engine, "0212344975", None, {"name": "OCMW Gent"})
    before = audit.trail(engine, archive_dir=tmp_path)
    archive_month(engine, tmp_path, archive.month_of(dt.datetime.now(dt.UTC)))
    _change(engine, "0212344876", {"name": "CPAS de Namur"}, {"name": "CPAS Namur"})

    everything = audit.trail(engine, archive_dir=tmp_path)
    namur = audit.trail(engine, kind="institution", key="0212344876", archive_dir=tmp_path)
    paged = audit.trail(engine, limit=1, before_seq=3, archive_dir=tmp_path)

    assert everything[1:] == before and [r.seq for r in everything] == [3, 2, 1]
    assert [(r.seq, r.after) for r in namur] == [(3, {"name": "CPAS Namur"}),
                                                 (1, {"name": "CPAS de Namur"})]
    assert [r.key for r in paged] == ["0212344975"]
    assert verify(engine, archive_dir=tmp_path).ok


def test_the_parts_beyond_the_page_asked_are_not_read(
    engine: Engine, make_entry: EntryFactory, tmp_path: Path
) -> None:
    with engine.begin() as connection:
        append(connection, [make_entry(occurred_at=at(month, 0), client=CPAS)
                            for month in ("2026-09", "2026-10", "2026-12")])
    archive_closed_months(engine, tmp_path, now=NOW)
    (tmp_path / archive.part_path("2026-09", 0)).write_bytes(b"not parquet")  # read, it fails

    live_enough = by_niss(engine, NISS, limit=1, archive_dir=tmp_path)
    october_enough = by_niss(engine, NISS, limit=2, archive_dir=tmp_path)
    dpo = by_client(engine, CPAS, ExchangeFilter(since=at("2026-10", 0)), archive_dir=tmp_path)

    assert seqs(live_enough) == [3] and seqs(october_enough) == [3, 2]
    assert seqs(dpo) == [3, 2]
    with pytest.raises(JournalArchiveUnavailable):
        by_niss(engine, NISS, limit=3, archive_dir=tmp_path)
