"""`carrefour journal verify | show | who-consulted | trace`, as an operator or a DPO runs them."""

from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from carrefour.journal.chain import append
from carrefour.journal.cli import app
from carrefour.journal.entries import JournalEntry
from tests.journal.helpers import NISS, EntryFactory, remove, tamper

runner = CliRunner()


def journal(engine: Engine, entries: list[JournalEntry]) -> None:
    with engine.begin() as connection:
        append(connection, entries)


def test_verify_says_the_journal_is_intact_and_exits_0(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [make_entry() for _ in range(4)])

    result = runner.invoke(app, ["verify", "--database-url", database_url])

    assert result.exit_code == 0, result.output
    assert "Journal intact" in result.output
    assert "4 entries checked" in result.output


def test_verify_names_the_altered_entry_and_exits_1(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [make_entry() for _ in range(4)])
    tamper(engine, 2, outcome="ok-after-all")

    result = runner.invoke(app, ["verify", "--database-url", database_url])

    assert result.exit_code == 1
    assert "first broken entry seq 2 (altered)" in result.output


def test_verify_names_the_deleted_entry_and_exits_1(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [make_entry() for _ in range(4)])
    remove(engine, 4)

    result = runner.invoke(app, ["verify", "--database-url", database_url, "--chunk-size", "2"])

    assert result.exit_code == 1
    assert "first broken entry seq 4 (missing)" in result.output


def test_verify_reads_the_database_url_from_the_environment(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [make_entry()])

    result = runner.invoke(
        app,
        ["verify"],
        env={"CARREFOUR_DATABASE_URL": database_url, "CARREFOUR_TOKEN_SECRET": "test"},
    )

    assert result.exit_code == 0, result.output
    assert "1 entries checked" in result.output


def test_show_prints_the_exchange_of_a_ticket(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    entry = make_entry(client="0212344876", outcome="not-integrated", quality_code=2)
    journal(engine, [make_entry(), entry])

    result = runner.invoke(app, ["show", entry.ticket, "--database-url", database_url])

    assert result.exit_code == 0, result.output
    assert "0212344876" in result.output
    assert "not-integrated" in result.output
    assert "002" in result.output


def test_show_exits_1_for_an_unknown_ticket(engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["show", "no-such-ticket", "--database-url", database_url])

    assert result.exit_code == 1
    assert "No journal entry has ticket no-such-ticket" in result.output


def test_who_consulted_lists_the_institutions_that_asked_about_a_person(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [make_entry(client="0200000001"), make_entry(client="0200000002")])

    formatted = f"{NISS[:2]}.{NISS[2:4]}.{NISS[4:6]}-{NISS[6:9]}.{NISS[9:]}"
    result = runner.invoke(app, ["who-consulted", formatted, "--database-url", database_url])

    assert result.exit_code == 0, result.output
    assert result.output.index("0200000002") < result.output.index("0200000001")


def test_who_consulted_refuses_an_invalid_niss(engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["who-consulted", "12345678901", "--database-url", database_url])

    assert result.exit_code == 2


def test_trace_lists_the_entries_of_an_event_oldest_first(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal(engine, [
        make_entry(action="publish-mutation", client="0200000001", reference="event-9"),
        make_entry(action="consult", client="0200000003"),
        make_entry(action="deliver-mutation", client="0200000002", reference="event-9"),
    ])

    result = runner.invoke(app, ["trace", "event-9", "--database-url", database_url],
                           env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert result.output.index("publish-mutation") < result.output.index("deliver-mutation")
    assert "0200000003" not in result.output


def test_trace_exits_1_for_an_unknown_event(engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["trace", "no-such-event", "--database-url", database_url])

    assert result.exit_code == 1
    assert "No journal entry is about no-such-event" in result.output
