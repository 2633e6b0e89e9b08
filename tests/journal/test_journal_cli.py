"""`carrefour journal verify | checkpoint | public-key | show | who-consulted | trace`, as an
operator, an auditor or a DPO runs them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from typer.testing import CliRunner

from carrefour.journal.archive import archive_month
from carrefour.journal.chain import append
from carrefour.journal.cli import app
from carrefour.journal.entries import JournalEntry
from carrefour.journal.keys import public_pem
from tests.journal.helpers import NISS, EntryFactory, remove, tamper, truncate, wipe

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
        env={"CARREFOUR_DATABASE_URL": database_url,
             "CARREFOUR_TOKEN_SECRET": "test-token-secret-0123456789"},
    )

    assert result.exit_code == 0, result.output
    assert "1 entries checked" in result.output


def test_show_prints_the_exchange_of_a_ticket(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    entry = make_entry(client="0212344876", outcome="not-integrated", quality_code=2,
                       trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    journal(engine, [make_entry(), entry])

    result = runner.invoke(app, ["show", entry.ticket, "--database-url", database_url])

    assert result.exit_code == 0, result.output
    assert "0212344876" in result.output
    assert "not-integrated" in result.output
    assert "002" in result.output
    assert "4bf92f3577b34da6a3ce929d0e0e4736" in result.output


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


# --- the key and the checkpoints --------------------------------------------------------------
def journal_sealed(engine: Engine, make_entry: EntryFactory, database_url: str) -> None:
    for _ in range(2):
        journal(engine, [make_entry() for _ in range(3)])
        result = runner.invoke(app, ["checkpoint", "--database-url", database_url])
        assert result.exit_code == 0, result.output


def test_checkpoint_seals_the_journal_and_then_has_nothing_new(
    engine: Engine, database_url: str, make_entry: EntryFactory, checkpoint_file: Path
) -> None:
    journal(engine, [make_entry() for _ in range(3)])

    written = runner.invoke(app, ["checkpoint", "--database-url", database_url])
    again = runner.invoke(app, ["checkpoint", "--database-url", database_url])

    assert written.exit_code == 0, written.output
    assert re.search(r"Written: checkpoint 1 of \S+ seals entry 3", written.output)
    assert "Nothing new: checkpoint 1" in again.output
    assert len(checkpoint_file.read_text().splitlines()) == 1


def test_checkpoint_is_refused_without_a_usable_signing_key(
    engine: Engine, database_url: str, make_entry: EntryFactory, tmp_path: Path,
    checkpoint_file: Path,
) -> None:
    journal(engine, [make_entry()])
    stolen = tmp_path / "not-a-key.pem"
    stolen.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")

    result = runner.invoke(app, ["checkpoint", "--database-url", database_url],
                           env={"CARREFOUR_JOURNAL_SIGNING_KEY_FILE": str(stolen)})

    assert result.exit_code == 1
    assert "No checkpoint written" in result.output
    assert "does not hold a usable private key" in result.output
    assert not checkpoint_file.exists()


def test_verify_names_the_entries_deleted_at_the_end_and_the_checkpoint_that_sealed_them(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal_sealed(engine, make_entry, database_url)
    truncate(engine, keep=3)

    result = runner.invoke(app, ["verify", "--database-url", database_url])

    assert result.exit_code == 1
    assert re.search(r"entries 4 to 6 are missing at the end \(checkpoint 2 of \S+ seals entry "
                     r"6\)", result.output)


def test_verify_says_the_journal_is_anchored_by_its_last_checkpoint(
    engine: Engine, database_url: str, make_entry: EntryFactory
) -> None:
    journal_sealed(engine, make_entry, database_url)

    result = runner.invoke(app, ["verify", "--database-url", database_url, "--strict"])

    assert result.exit_code == 0, result.output
    assert re.search(r"6 entries checked, keyed from entry 1, against 2 checkpoints \(the last, "
                     r"checkpoint 2 of \S+, seals entry 6\)", result.output)
    assert "Not checked" not in result.output


def test_verify_without_the_key_file_says_what_it_could_not_check(
    engine: Engine, database_url: str, make_entry: EntryFactory, tmp_path: Path
) -> None:
    journal_sealed(engine, make_entry, database_url)
    missing = tmp_path / "no-such-key"
    arguments = ["verify", "--database-url", database_url, "--key-file", str(missing)]

    result = runner.invoke(app, arguments)
    strict = runner.invoke(app, [*arguments, "--strict"])

    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (f"Not checked: there is no journal key at {missing}: the links of 6 keyed entries "
            "were not checked") in result.output
    assert "Journal intact" in result.output
    assert strict.exit_code == 2


def test_verify_without_a_checkpoint_file_says_the_end_is_not_anchored(
    engine: Engine, database_url: str, make_entry: EntryFactory, tmp_path: Path
) -> None:
    journal(engine, [make_entry()])
    missing = tmp_path / "no-checkpoints.jsonl"

    result = runner.invoke(
        app, ["verify", "--database-url", database_url, "--checkpoints", str(missing)])

    assert result.exit_code == 0, result.output
    assert f"Not checked: there is no checkpoint file at {missing}" in result.output


def test_an_auditor_verifies_with_copies_of_the_checkpoints_and_of_the_public_key(
    engine: Engine, database_url: str, make_entry: EntryFactory, checkpoint_file: Path,
    tmp_path: Path,
) -> None:
    journal_sealed(engine, make_entry, database_url)
    public_key = runner.invoke(app, ["public-key"])
    held = tmp_path / "auditor"
    held.mkdir()
    (held / "hub.pub").write_text(public_key.output)
    (held / "checkpoints.jsonl").write_bytes(checkpoint_file.read_bytes())
    wipe(engine)

    result = runner.invoke(app, [
        "verify", "--database-url", database_url, "--public-key", str(held / "hub.pub"),
        "--checkpoints", str(held / "checkpoints.jsonl"), "--key-file", str(held / "no-key"),
    ])

    assert public_key.output.startswith("-----BEGIN PUBLIC KEY-----")
    assert result.exit_code == 1
    assert "the journal is empty but 2 checkpoints seal 6 entries" in result.output


def test_verify_with_another_public_key_reports_every_checkpoint_as_forged(
    engine: Engine, database_url: str, make_entry: EntryFactory, tmp_path: Path
) -> None:
    journal_sealed(engine, make_entry, database_url)
    other = tmp_path / "other.pub"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))

    result = runner.invoke(app, ["verify", "--database-url", database_url,
                                 "--public-key", str(other)], env={"COLUMNS": "300"})

    assert result.exit_code == 1
    forged = re.findall(r"checkpoint (\d) of \S+ has an invalid signature", result.output)
    assert set(forged) == {"1", "2"}
    assert "first broken entry" not in result.output  # the entries are intact


def test_show_who_consulted_and_trace_read_the_archived_months(
    engine: Engine, database_url: str, make_entry: EntryFactory, tmp_path: Path
) -> None:
    september = datetime(2026, 9, 3, 10, 0, tzinfo=UTC)
    archived = make_entry(occurred_at=september, client="0200000001", reference="event-7")
    journal(engine, [archived, make_entry(client="0200000002", reference="event-7")])
    assert archive_month(engine, tmp_path, "2026-09").entries == 1
    options = ["--database-url", database_url, "--archive-dir", str(tmp_path)]

    shown = runner.invoke(app, ["show", archived.ticket, *options])
    consulted = runner.invoke(app, ["who-consulted", NISS, *options], env={"COLUMNS": "200"})
    traced = runner.invoke(app, ["trace", "event-7", *options], env={"COLUMNS": "200"})

    assert shown.exit_code == 0, shown.output
    assert archived.ticket in shown.output and "2026-09-03" in shown.output
    assert consulted.output.index("0200000002") < consulted.output.index("0200000001")
    assert traced.output.index("0200000001") < traced.output.index("0200000002")
