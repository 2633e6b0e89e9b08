"""The hash chain: appends, round trips, and every kind of tampering `verify` must catch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, select

from carrefour.journal.chain import (
    _TAKEN_TICKET,
    DuplicateTicket,
    append,
    read_head,
    verify,
)
from carrefour.journal.codec import (
    FORMAT,
    GENESIS_HASH,
    KEYED,
    chain_hash,
    entry_from_row,
    entry_to_row,
    iso_utc,
    keyed_message,
)
from carrefour.journal.entries import new_ticket
from carrefour.journal.keys import key_for_writing
from carrefour.journal.services import by_ticket
from carrefour.journal.tables import journal_entries
from tests.journal.helpers import EntryFactory, remove, remove_head, tamper


def journal(engine: Engine, make_entry: EntryFactory, count: int) -> list[int]:
    with engine.begin() as connection:
        return append(connection, [make_entry() for _ in range(count)])


def test_appended_entries_get_consecutive_seqs_and_the_chain_verifies(
    engine: Engine, make_entry: EntryFactory
) -> None:
    assert journal(engine, make_entry, 3) == [1, 2, 3]
    assert journal(engine, make_entry, 2) == [4, 5]

    report = verify(engine)

    assert report.ok
    assert report.checked == 5
    assert report.first_broken_seq is None


def test_an_empty_journal_verifies(engine: Engine) -> None:
    report = verify(engine)

    assert report.ok
    assert report.checked == 0
    assert report.head is None


def test_an_entry_reads_back_exactly_as_it_was_hashed(
    engine: Engine, make_entry: EntryFactory
) -> None:
    brussels = timezone(timedelta(hours=2))
    entry = make_entry(
        occurred_at=datetime(2024, 3, 31, 2, 30, 15, 123456, tzinfo=brussels),
        end_user_id="Jérôme Dupont-Brückner ✓",
        sources=("0200065765", "0206731645", "0236249311"),
        quality_code=None,
        deliberation=None,
        duration_ms=0.1 + 0.2,
    )
    with engine.begin() as connection:
        append(connection, [entry])

    record = by_ticket(engine, entry.ticket)

    assert record is not None
    assert record.entry == entry
    assert record.entry.occurred_at == datetime(2024, 3, 31, 0, 30, 15, 123456, tzinfo=UTC)
    assert record.entry.occurred_at.tzinfo == UTC
    assert verify(engine).ok


def test_the_reference_is_hashed_and_reads_back(engine: Engine, make_entry: EntryFactory) -> None:
    entries = [make_entry(reference="event-1"), make_entry(), make_entry(reference="event-1")]
    with engine.begin() as connection:
        append(connection, entries)
    records = [by_ticket(engine, e.ticket) for e in entries]
    assert [r.entry if r else None for r in records] == entries
    assert [e.reference for e in entries] == ["event-1", None, "event-1"]
    assert verify(engine).ok

    tamper(engine, 3, reference=None)

    assert verify(engine).first_broken_seq == 3


def test_an_entry_without_a_reference_hashes_as_before_references_existed(
    make_entry: EntryFactory,
) -> None:
    entry = make_entry(sources=("0200065765",))
    legacy = [FORMAT, 7, entry.ticket, iso_utc(entry.occurred_at), entry.channel, entry.action,
              entry.client, entry.end_user_id, entry.end_user_role, entry.service, entry.niss,
              entry.quality_code, entry.deliberation, ["0200065765"], entry.outcome,
              repr(entry.duration_ms)]
    expected = hashlib.sha256(
        GENESIS_HASH.encode() + b"\n"
        + json.dumps(legacy, ensure_ascii=True, separators=(",", ":")).encode("ascii"))

    assert chain_hash(GENESIS_HASH, 7, entry) == expected.hexdigest()
    assert chain_hash(GENESIS_HASH, 7, replace(entry, reference="e")) != expected.hexdigest()


def test_a_journal_entry_refuses_a_time_without_a_timezone(make_entry: EntryFactory) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_entry(occurred_at=datetime(2024, 1, 1, 12, 0))


def test_a_journal_entry_refuses_sources_given_as_one_string(make_entry: EntryFactory) -> None:
    with pytest.raises(ValueError, match="sources"):
        make_entry(sources="0200065765")


def test_append_writes_in_the_callers_transaction_and_rolls_back_with_it(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 2)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        append(connection, [make_entry()])
        raise RuntimeError("the use case failed after journaling")

    assert journal(engine, make_entry, 1) == [3]
    assert verify(engine).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("client", "0999999999"),
        ("niss", "90010112395"),
        ("outcome", "ok-really"),
        ("occurred_at", datetime(2020, 1, 1, tzinfo=UTC)),
        ("duration_ms", 12.500001),
        ("sources", "[]"),
        ("quality_code", 7),
        ("end_user_id", None),
        ("reference", "an-event-never-delivered"),
    ],
)
def test_altering_one_field_of_one_entry_is_detected_at_that_seq(
    engine: Engine, make_entry: EntryFactory, column: str, value: object
) -> None:
    journal(engine, make_entry, 5)
    tamper(engine, 3, **{column: value})

    report = verify(engine)

    assert not report.ok
    assert report.first_broken_seq == 3
    assert report.first_problem is not None
    assert report.first_problem.kind == "altered"
    assert report.problem_count == 1


def test_a_value_no_entry_can_have_is_reported_as_an_alteration(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 3)
    tamper(engine, 2, sources="not json")

    report = verify(engine)

    assert report.first_broken_seq == 2
    assert report.first_problem is not None
    assert report.first_problem.kind == "altered"


def test_deleting_a_middle_entry_is_detected(engine: Engine, make_entry: EntryFactory) -> None:
    journal(engine, make_entry, 5)
    remove(engine, 3)

    report = verify(engine)

    assert report.first_broken_seq == 3
    assert report.first_problem is not None
    assert report.first_problem.kind == "missing"
    assert "entry 3 is missing" in report.first_problem.detail


def test_deleting_the_first_entry_is_detected(engine: Engine, make_entry: EntryFactory) -> None:
    journal(engine, make_entry, 3)
    remove(engine, 1)

    assert verify(engine).first_broken_seq == 1


def test_deleting_the_last_entries_is_detected_by_the_head(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 5)
    remove(engine, 5)
    remove(engine, 4)

    report = verify(engine)

    assert report.first_broken_seq == 4
    assert report.first_problem is not None
    assert report.first_problem.kind == "missing"
    assert "entries 4 to 5 are missing at the end" in report.first_problem.detail


def test_rewriting_an_entry_with_a_matching_keyed_link_is_detected_by_the_next_link(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 5)
    with engine.connect() as connection:
        row = connection.execute(select(journal_entries).where(journal_entries.c.seq == 3))
        original = row.mappings().one()
    forged = replace(entry_from_row(original), client="0999999999")
    link = key_for_writing(engine).link(keyed_message(original["prev_hash"], 3, forged))
    tamper(engine, 3, client="0999999999", hash=link)

    report = verify(engine)

    assert report.first_broken_seq == 4
    assert report.first_problem is not None
    assert report.first_problem.kind == "broken-link"


def test_rewriting_an_entry_with_a_plain_hash_is_detected_at_that_entry(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 5)
    with engine.connect() as connection:
        row = connection.execute(select(journal_entries).where(journal_entries.c.seq == 3))
        original = row.mappings().one()
    forged = replace(entry_from_row(original), client="0999999999")
    tamper(engine, 3, client="0999999999", hash=chain_hash(original["prev_hash"], 3, forged))

    report = verify(engine)

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (3, "altered")
    assert "does not match the keyed chain" in report.first_problem.detail


def test_rewriting_the_last_entry_with_a_matching_hash_is_detected_by_the_head(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 3)
    tamper(engine, 3, hash="f" * 64)

    report = verify(engine)

    kinds = [problem.kind for problem in report.problems]
    assert report.first_broken_seq == 3
    assert kinds == ["altered", "head-mismatch"]


def test_an_entry_slipped_in_beyond_the_head_is_detected(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 3)
    with engine.begin() as connection:
        head = read_head(connection)
    assert head is not None
    extra = make_entry()
    link = key_for_writing(engine).link(keyed_message(head.hash, 4, extra))
    with engine.begin() as connection:
        row = entry_to_row(4, extra, prev_hash=head.hash, hash_=link, format_=KEYED)
        connection.execute(journal_entries.insert().values(row))

    report = verify(engine)

    assert report.first_broken_seq == 4
    assert report.first_problem is not None
    assert report.first_problem.kind == "head-mismatch"


def test_deleting_the_head_is_detected(engine: Engine, make_entry: EntryFactory) -> None:
    journal(engine, make_entry, 3)
    remove_head(engine)

    report = verify(engine)

    assert not report.ok
    assert report.first_problem is not None
    assert report.first_problem.kind == "head-mismatch"


def test_verify_reads_the_journal_in_chunks_and_reports_progress(
    engine: Engine, make_entry: EntryFactory
) -> None:
    journal(engine, make_entry, 10)
    progress: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        progress.append((done, total))

    report = verify(engine, chunk_size=3, on_progress=on_progress)

    assert report.ok
    assert progress == [(3, 10), (6, 10), (9, 10), (10, 10)]


def test_tickets_are_unique_and_ordered_by_creation() -> None:
    tickets = [new_ticket() for _ in range(20_000)]

    assert len(set(tickets)) == len(tickets)
    assert sorted(tickets) == tickets
    assert all(len(ticket) == 36 and ticket[14] == "7" for ticket in tickets)



def test_a_batch_of_more_entries_than_a_statement_has_parameters_is_appended(
    engine: Engine, make_entry: EntryFactory
) -> None:
    """A list's run journals one entry per person included, 150,000 at a million persons: the
    check of their tickets (PostgreSQL) is one array parameter, not one per ticket."""
    assert journal(engine, make_entry, 70_000)[-1] == 70_000

    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(journal_entries)
                                  ).scalar_one() == 70_000


def test_the_ticket_check_reads_the_index_even_before_the_journal_is_analysed(
        engine: Engine, make_entry: EntryFactory) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the check of the hub on PostgreSQL (SQLite's unique index refuses it)")
    with engine.begin() as connection:
        append(connection, [make_entry() for _ in range(20_000)])  # no ANALYZE since
    tickets = [new_ticket() for _ in range(30)]
    with engine.connect() as connection:
        compiled = _TAKEN_TICKET.compile(dialect=engine.dialect)
        plan = "\n".join(connection.exec_driver_sql(
            f"EXPLAIN {compiled}", {**compiled.params, "tickets": tickets}).scalars())
    # Driven by the given tickets, each probed in the index: never a scan of the journal,
    # whose cost would grow with it (a plan the statistics can choose for ``= ANY(array)``).
    assert "Function Scan on unnest" in plan and "Seq Scan on journal_entries" not in plan, plan


def test_the_ticket_check_prepared_on_an_empty_journal_reads_the_index_once_it_has_grown(
        engine: Engine, make_entry: EntryFactory) -> None:
    """The driver prepares a statement at its fifth use, and PostgreSQL then keeps a generic
    plan made for the table as it was: made while the month's partition was empty, the check
    compared each ticket with every entry ever after (17.8 ms for 20 tickets at 9,000
    entries, against 0.05 ms through the index). The hub's connections plan each execution
    for the journal as it is."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the check of the hub on PostgreSQL (SQLite's unique index refuses it)")
    with engine.connect() as connection:  # one connection: its prepared statements
        for _ in range(12):
            with connection.begin():
                append(connection, [make_entry()])
        with connection.begin():
            append(connection, [make_entry() for _ in range(20_000)])  # no ANALYZE since
        name = connection.exec_driver_sql(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%%unnest%%'"
        ).scalar_one()
        tickets = ",".join(f"'{new_ticket()}'" for _ in range(20))
        plan = "\n".join(connection.exec_driver_sql(
            f"EXPLAIN EXECUTE {name}(ARRAY[{tickets}]::text[], 1)").scalars())
    assert "Seq Scan on journal_entries" not in plan, plan


def test_a_taken_ticket_is_refused_among_many(engine: Engine, make_entry: EntryFactory
                                               ) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the check of the hub on PostgreSQL (SQLite's unique index refuses it)")
    taken = make_entry()
    with engine.begin() as connection:
        append(connection, [taken])

    with pytest.raises(DuplicateTicket), engine.begin() as connection:
        append(connection, [*(make_entry() for _ in range(70_000)), taken])

    with engine.connect() as connection:
        head = read_head(connection)
    assert head is not None and head.seq == 1
