"""Rewriting history with write access to the database: every attack `verify` must catch.

The journal holds 50 entries; checkpoints sealed it at entries 20 and 40, outside the database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from carrefour.config import JournalSettings
from carrefour.journal.anchors import Anchors
from carrefour.journal.chain import VerifyReport, append, verify
from carrefour.journal.checkpoints import Checkpoint
from carrefour.journal.codec import UNKEYED, keyed_message
from carrefour.journal.entries import JournalEntry
from carrefour.journal.keys import ChainKey, key_for_writing
from carrefour.journal.sealing import Seal, seal
from carrefour.journal.tables import journal_head
from tests.journal.helpers import (
    EntryFactory,
    Relink,
    plain_sha256,
    rewrite,
    truncate,
    wipe,
)

INTRUDER = "0999999999"
WHEN = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def sealed_journal(engine: Engine, make_entry: EntryFactory) -> Engine:
    sealing = Seal.from_settings(engine, JournalSettings.from_env())
    for _ in range(2):
        journal(engine, [make_entry() for _ in range(20)])
        assert seal(sealing).written
    journal(engine, [make_entry() for _ in range(10)])
    return engine


def journal(engine: Engine, entries: list[JournalEntry]) -> None:
    with engine.begin() as connection:
        append(connection, entries)


def kinds(report: VerifyReport) -> list[tuple[int, str]]:
    return [(problem.seq, problem.kind) for problem in report.problems]


def details(report: VerifyReport) -> str:
    return "\n".join(problem.detail for problem in report.problems)


def with_the_key(key: ChainKey) -> Relink:
    def relink(prev_hash: str, seq: int, entry: JournalEntry) -> str:
        return key.link(keyed_message(prev_hash, seq, entry))

    return relink


def test_an_untouched_journal_verifies_against_its_key_and_checkpoints(
    sealed_journal: Engine,
) -> None:
    report = verify(sealed_journal)

    assert report.ok, report.problems
    assert (report.checked, report.keyed_from, report.checkpoints) == (50, 1, 2)
    assert report.last_checkpoint is not None and report.last_checkpoint.seq == 40
    assert report.notes == ()


# --- (a) deleting the tail and moving the head back -------------------------------------------
def test_deleting_the_tail_and_moving_the_head_back_is_caught_by_the_last_checkpoint(
    sealed_journal: Engine,
) -> None:
    truncate(sealed_journal, keep=30)

    report = verify(sealed_journal)

    assert kinds(report) == [(31, "missing")]
    assert re.fullmatch(
        rf"entries 31 to 40 are missing at the end \(checkpoint 2 of {WHEN} seals entry 40\)",
        details(report),
    )


def test_entries_not_yet_sealed_are_the_window_the_checkpoint_interval_bounds(
    sealed_journal: Engine,
) -> None:
    truncate(sealed_journal, keep=45)  # entries 46 to 50 were written after checkpoint 2

    assert verify(sealed_journal).ok


# --- (b) deleting every entry and the head ----------------------------------------------------
def test_deleting_every_entry_and_the_head_is_caught_by_the_checkpoints(
    sealed_journal: Engine,
) -> None:
    wipe(sealed_journal)

    report = verify(sealed_journal)

    assert not report.ok
    assert details(report) == "the journal is empty but 2 checkpoints seal 40 entries"


# --- (c) rewriting an entry and recomputing every later link -----------------------------------
def test_rewriting_an_entry_and_relinking_the_rest_without_the_key_is_caught_at_that_entry(
    sealed_journal: Engine,
) -> None:
    rewrite(sealed_journal, 37, plain_sha256, client=INTRUDER)

    report = verify(sealed_journal)

    assert kinds(report) == [(37, "altered"), (38, "altered"), (40, "checkpoint-mismatch")]
    first, rest, sealed = report.problems
    assert first.detail == "entry 37 was altered (its link does not match the keyed chain)"
    assert (rest.seq, rest.last_seq) == (38, 50)
    assert rest.detail.startswith("entries 38 to 50 are not linked with the key either")
    assert re.match(rf"entry 40 is not the entry checkpoint 2 of {WHEN} sealed", sealed.detail)


def test_rewritten_entries_passed_off_as_written_before_the_key_are_refused(
    sealed_journal: Engine,
) -> None:
    rewrite(sealed_journal, 37, plain_sha256, format_=UNKEYED, client=INTRUDER)

    report = verify(sealed_journal)

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (37, "unkeyed-after-keyed")
    assert "follows keyed entry 1" in report.first_problem.detail
    assert (40, "checkpoint-mismatch") in kinds(report)


def test_a_whole_journal_passed_off_as_unkeyed_is_caught_by_the_checkpoints(
    sealed_journal: Engine,
) -> None:
    rewrite(sealed_journal, 1, plain_sha256, format_=UNKEYED, client=INTRUDER)
    with sealed_journal.begin() as connection:
        connection.execute(update(journal_head).values(key_id=None))

    report = verify(sealed_journal)

    assert kinds(report) == [(20, "checkpoint-mismatch"), (40, "checkpoint-mismatch")]


def test_an_intruder_holding_the_chain_key_cannot_rewrite_what_a_checkpoint_sealed(
    sealed_journal: Engine,
) -> None:
    rewrite(sealed_journal, 37, with_the_key(key_for_writing(sealed_journal)), client=INTRUDER)

    report = verify(sealed_journal)

    assert kinds(report) == [(40, "checkpoint-mismatch")]
    assert "entries up to 40 were rewritten" in details(report)


# --- the checkpoints themselves ---------------------------------------------------------------
def test_a_forged_checkpoint_line_is_reported_and_not_trusted(
    sealed_journal: Engine, checkpoint_file: Path
) -> None:
    lines = checkpoint_file.read_text().splitlines()
    forged = json.loads(lines[-1]) | {"n": 3, "seq": 50, "entries": 50}
    forged["prev"] = Checkpoint.from_line(lines[-1]).digest
    checkpoint_file.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")

    report = verify(sealed_journal)

    assert kinds(report) == [(50, "checkpoint")]
    assert re.fullmatch(rf"checkpoint 3 of {WHEN} has an invalid signature \(forged or altered\)",
                        details(report))
    assert report.checkpoints == 2


def test_a_checkpoint_removed_from_the_file_is_reported(
    sealed_journal: Engine, checkpoint_file: Path
) -> None:
    _first, second = checkpoint_file.read_text().splitlines()
    checkpoint_file.write_text(second + "\n")

    report = verify(sealed_journal)

    assert kinds(report) == [(40, "checkpoint")]
    assert "checkpoints before checkpoint 2" in details(report)


def test_a_line_that_is_no_checkpoint_is_reported(
    sealed_journal: Engine, checkpoint_file: Path
) -> None:
    with checkpoint_file.open("a") as stream:
        stream.write('{"format": "carrefour-checkpoint/1", "n": "three"}\n')

    report = verify(sealed_journal)

    assert kinds(report) == [(0, "checkpoint")]
    assert details(report).startswith("line 3 of the checkpoint file is not a checkpoint")


def test_verifying_with_another_chain_key_says_so(sealed_journal: Engine) -> None:
    other = ChainKey.from_text("another-key-" + "x" * 40, origin="a test")
    anchors = Anchors.load(JournalSettings.from_env(), key=other)

    report = verify(sealed_journal, anchors=anchors)

    assert report.first_problem is not None
    assert report.first_problem.kind == "wrong-key"
    assert f"the key given ({other.id}, from a test) is another" in report.first_problem.detail
    assert "was written with chain key" in details(report)
