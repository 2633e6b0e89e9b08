"""Where the journal's keys and checkpoints are, as the environment says, and what a key is."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from carrefour.config import JournalSettings
from carrefour.errors import JournalUnavailable
from carrefour.journal import keys
from carrefour.journal.anchors import Anchors
from carrefour.journal.chain import append, verify
from carrefour.journal.keys import ChainKey, JournalKeyError, chain_key, write_new_file
from tests.journal.helpers import EntryFactory


def test_the_keys_and_checkpoints_default_to_the_data_folder() -> None:
    settings = JournalSettings.from_env({"CARREFOUR_DATA_DIR": "/srv/hub"})

    assert settings.key is None
    assert settings.key_file == Path("/srv/hub/journal-key")
    assert settings.signing_key_file == Path("/srv/hub/journal-signing-key.pem")
    assert settings.public_key_file == Path("/srv/hub/journal-signing-key.pub")
    assert settings.checkpoint_file == Path("/srv/hub/journal-checkpoints.jsonl")
    assert (settings.checkpoint_every, settings.checkpoint_seconds) == (10_000, 30.0)
    assert settings.tsa_url is None


def test_each_location_and_interval_has_its_own_setting() -> None:
    settings = JournalSettings.from_env({
        "CARREFOUR_JOURNAL_KEY": "k" * 40,
        "CARREFOUR_JOURNAL_KEY_FILE": "/etc/carrefour/chain-key",
        "CARREFOUR_JOURNAL_SIGNING_KEY_FILE": "/etc/carrefour/signing.pem",
        "CARREFOUR_JOURNAL_CHECKPOINTS": "/var/log/carrefour/checkpoints.jsonl",
        "CARREFOUR_JOURNAL_CHECKPOINT_EVERY": "500",
        "CARREFOUR_JOURNAL_CHECKPOINT_SECONDS": "5",
        "CARREFOUR_JOURNAL_TSA_URL": "https://tsa.example/",
        "CARREFOUR_JOURNAL_TSA_CERTIFICATE": "/etc/carrefour/tsa.pem",
    })

    assert settings.key == "k" * 40
    assert settings.key_file == Path("/etc/carrefour/chain-key")
    assert settings.public_key_file == Path("/etc/carrefour/signing.pub")
    assert settings.checkpoint_file == Path("/var/log/carrefour/checkpoints.jsonl")
    assert (settings.checkpoint_every, settings.checkpoint_seconds) == (500, 5.0)
    assert settings.tsa_url == "https://tsa.example/"
    assert settings.tsa_certificate_file == Path("/etc/carrefour/tsa.pem")


def test_a_key_given_in_the_environment_is_used_as_it_is() -> None:
    key = chain_key(JournalSettings(key="s" * 40, key_file=Path("/nonexistent")), create=True)

    assert key.origin == "CARREFOUR_JOURNAL_KEY"
    assert key.id == ChainKey.from_text("s" * 40, origin="elsewhere").id


def test_a_short_key_is_refused() -> None:
    with pytest.raises(JournalKeyError, match="shorter than 32 characters"):
        chain_key(JournalSettings(key="too-short"), create=True)


def test_a_key_file_created_by_another_process_first_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal-key"
    write_new_file(path, b"first" * 10, mode=0o600)
    write_new_file(path, b"second" * 10, mode=0o600)

    assert path.read_bytes() == b"first" * 10
    assert list(tmp_path.iterdir()) == [path]


def test_a_process_holding_another_chain_key_is_refused_rather_than_breaking_the_chain(
    engine: Engine, make_entry: EntryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        append(connection, [make_entry()])
    monkeypatch.setattr(keys, "_keys", {})
    keys.use_key(engine, ChainKey.from_text("another-chain-key-" + "x" * 30, origin="a test"))

    with pytest.raises(JournalUnavailable), engine.begin() as connection:
        append(connection, [make_entry()])

    report = verify(engine, anchors=Anchors.load(JournalSettings.from_env()))
    assert report.ok and report.checked == 1
