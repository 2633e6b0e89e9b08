"""Sealing: checkpoints written at the configured intervals, off the hot path, by every hub
process writing the chain, with keys created on first use and kept private."""

from __future__ import annotations

import asyncio
import logging
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from carrefour.bootstrap import build_hub
from carrefour.config import JournalSettings, Settings
from carrefour.journal import keys
from carrefour.journal.anchors import Anchors
from carrefour.journal.chain import append, verify
from carrefour.journal.checkpoints import Checkpoint, CheckpointFile
from carrefour.journal.keys import public_pem, signing_key
from carrefour.journal.sealing import Seal, Sealer, seal
from carrefour.journal.writer import JournalWriter
from tests.journal.helpers import EntryFactory

pytestmark = pytest.mark.anyio


def checkpoints(path: Path) -> list[Checkpoint]:
    lines = CheckpointFile(path).read() if path.exists() else []
    return [line.checkpoint for line in lines if line.checkpoint is not None]


def eventually(condition: Callable[[], bool], *, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.01)


@pytest.fixture
def own_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JournalSettings:
    """A hub with keys of its own, in a folder of its own; the chain keys this process
    registered before are back after the test."""
    monkeypatch.setattr(keys, "_keys", {})
    return JournalSettings.in_folder(tmp_path / "var")


def sealed_seqs(path: Path) -> list[int]:
    return [checkpoint.seq for checkpoint in checkpoints(path)]


async def test_the_writer_seals_every_n_entries_and_not_before(
    engine: Engine, make_entry: EntryFactory, checkpoint_file: Path
) -> None:
    settings = replace(JournalSettings.from_env(), checkpoint_every=10, checkpoint_seconds=60)
    sealer = Sealer.from_settings(engine, settings)
    writer = JournalWriter(engine, sealer=sealer)
    await writer.start()
    for _ in range(10):
        await writer.record(make_entry())
    sealer.start()  # it seals what is there when it starts
    eventually(lambda: sealed_seqs(checkpoint_file) == [10])
    for _ in range(9):
        await writer.record(make_entry())
    await asyncio.sleep(0.3)
    assert sealed_seqs(checkpoint_file) == [10]
    await writer.record(make_entry())
    eventually(lambda: sealed_seqs(checkpoint_file) == [10, 20])
    await writer.record(make_entry())
    await writer.stop()
    sealer.stop()

    assert sealed_seqs(checkpoint_file) == [10, 20, 21]  # stopping seals the rest
    assert verify(engine).ok


def test_entries_appended_by_use_cases_are_sealed_every_t_seconds(
    engine: Engine, make_entry: EntryFactory, checkpoint_file: Path
) -> None:
    settings = replace(JournalSettings.from_env(), checkpoint_every=1_000, checkpoint_seconds=0.2)
    sealer = Sealer.from_settings(engine, settings)
    sealer.start()
    try:
        with engine.begin() as connection:
            append(connection, [make_entry() for _ in range(3)])
        eventually(lambda: sealed_seqs(checkpoint_file) == [3])
        time.sleep(0.5)  # nothing new: no new checkpoint
        assert sealed_seqs(checkpoint_file) == [3]
    finally:
        sealer.stop()


def test_two_processes_sealing_one_chain_share_the_file_and_form_one_chain_of_checkpoints(
    engine: Engine, second_engine: Engine, make_entry: EntryFactory, checkpoint_file: Path
) -> None:
    settings = JournalSettings.from_env()
    sealings = [Seal.from_settings(e, settings) for e in (engine, second_engine)]

    def hub_process(which: int) -> None:
        for _ in range(15):
            with sealings[which].engine.begin() as connection:
                append(connection, [make_entry(), make_entry()])
            seal(sealings[which])

    threads = [threading.Thread(target=hub_process, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = verify(engine)
    assert report.ok, report.problems
    assert report.last_checkpoint is not None and report.last_checkpoint.seq == 60
    numbers = [checkpoint.number for checkpoint in checkpoints(checkpoint_file)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_sealing_an_empty_or_already_sealed_journal_writes_nothing(
    engine: Engine, make_entry: EntryFactory, checkpoint_file: Path
) -> None:
    sealing = Seal.from_settings(engine, JournalSettings.from_env())
    assert seal(sealing).checkpoint is None
    with engine.begin() as connection:
        append(connection, [make_entry()])
    assert seal(sealing).written

    again = seal(sealing)

    assert not again.written and again.checkpoint is not None and again.checkpoint.seq == 1
    assert len(checkpoints(checkpoint_file)) == 1


def test_a_sealer_that_cannot_write_says_so_and_keeps_the_writer_going(
    engine: Engine, make_entry: EntryFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the checkpoint folder should be")
    settings = replace(JournalSettings.from_env(), checkpoint_file=blocked / "checkpoints.jsonl",
                       checkpoint_seconds=0.1)
    sealer = Sealer.from_settings(engine, settings)
    with caplog.at_level(logging.ERROR, logger="carrefour.journal.sealing"):
        sealer.start()
        with engine.begin() as connection:
            append(connection, [make_entry()])
        eventually(lambda: "could not be sealed" in caplog.text)
        sealer.stop()

    assert verify(engine).checked == 1


def test_the_keys_are_created_on_first_use_readable_by_their_owner_only(
    own_keys: JournalSettings, engine: Engine
) -> None:
    settings = own_keys
    hub = build_hub(Settings(database_url=str(engine.url), token_secret="s", journal=settings),
                    engine=engine)

    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.signing_key_file.stat().st_mode) == 0o600
    assert settings.public_key_file.read_bytes() == public_pem(
        signing_key(settings, create=False).public_key())
    assert hub.sealer is not None


async def test_the_hub_seals_what_it_journaled_when_it_stops(
    own_keys: JournalSettings, engine: Engine, make_entry: EntryFactory
) -> None:
    settings = own_keys
    hub = build_hub(Settings(database_url=str(engine.url), token_secret="s", journal=settings),
                    engine=engine)
    await hub.start()
    try:
        for _ in range(3):
            await hub.journal.record(make_entry())
    finally:
        await hub.stop()

    assert sealed_seqs(settings.checkpoint_file)[-1] == 3
    assert verify(engine, anchors=Anchors.load(settings)).ok
