"""Look-ups: by ticket for support, by NISS for the DPO and the citizen."""

from __future__ import annotations

from sqlalchemy import Engine

from carrefour.journal.chain import append
from carrefour.journal.services import by_niss, by_ticket
from tests.journal.helpers import NISS, OTHER_NISS, EntryFactory


def test_an_exchange_is_found_by_its_ticket(engine: Engine, make_entry: EntryFactory) -> None:
    entries = [make_entry(), make_entry(outcome="not-integrated"), make_entry()]
    with engine.begin() as connection:
        append(connection, entries)

    record = by_ticket(engine, entries[1].ticket)

    assert record is not None
    assert record.seq == 2
    assert record.entry == entries[1]
    assert len(record.hash) == 64


def test_an_unknown_ticket_finds_nothing(engine: Engine) -> None:
    assert by_ticket(engine, "0190f5a2-0000-7000-8000-000000000000") is None


def test_the_exchanges_about_a_person_are_listed_newest_first(
    engine: Engine, make_entry: EntryFactory
) -> None:
    with engine.begin() as connection:
        append(
            connection,
            [
                make_entry(client="0200000001"),
                make_entry(niss=OTHER_NISS),
                make_entry(client="0200000002"),
                make_entry(niss=None, service="SearchPersonByPhoneticCriteria"),
                make_entry(client="0200000003", action="integrate"),
            ],
        )

    records = by_niss(engine, NISS)

    assert [record.seq for record in records] == [5, 3, 1]
    assert [record.entry.client for record in records] == ["0200000003", "0200000002", "0200000001"]


def test_the_exchanges_about_a_person_are_paged_by_seq(
    engine: Engine, make_entry: EntryFactory
) -> None:
    with engine.begin() as connection:
        append(connection, [make_entry() for _ in range(7)])

    first_page = by_niss(engine, NISS, limit=3)
    second_page = by_niss(engine, NISS, limit=3, before_seq=first_page[-1].seq)
    last_page = by_niss(engine, NISS, limit=3, before_seq=second_page[-1].seq)

    assert [r.seq for r in first_page + second_page + last_page] == [7, 6, 5, 4, 3, 2, 1]


def test_nobody_consulted_a_person_the_journal_does_not_mention(engine: Engine) -> None:
    assert by_niss(engine, NISS) == []
