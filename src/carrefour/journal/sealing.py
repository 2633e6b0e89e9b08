"""Sealing the chain: writing a checkpoint of its head, off the hot path.

:func:`seal` writes one checkpoint now, if the chain has grown since the file's last one. A
:class:`Sealer` calls it on a thread of its own: when the journal writer reports that
``checkpoint_every`` entries were committed since the last checkpoint, every
``checkpoint_seconds`` (which also seals entries appended directly by use cases or by other
processes), once when it starts and once when it stops. A request never waits for a
checkpoint: the writer only sets a flag; reading the head, signing, asking the time-stamping
authority and ``fsync`` happen on the sealer's thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from carrefour.config import JournalSettings
from carrefour.db import describe_outage, is_outage, reading
from carrefour.journal.chain import read_head
from carrefour.journal.checkpoints import GENESIS_DIGEST, Checkpoint, CheckpointFile
from carrefour.journal.keys import ChainKey, key_for_writing, signing_key
from carrefour.journal.timestamps import Timestamper, TimestampError

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Seal:
    """What sealing needs: the chain, the file, the keys, and an authority where configured."""

    engine: Engine
    file: CheckpointFile
    key: ChainKey
    signing_key: Ed25519PrivateKey
    timestamper: Timestamper | None = None
    clock: Clock = _now

    @classmethod
    def from_settings(cls, engine: Engine, settings: JournalSettings) -> Seal:
        """Creates the signing key (and its public key file) on first use."""
        return cls(
            engine=engine,
            file=CheckpointFile(settings.checkpoint_file),
            key=key_for_writing(engine),
            signing_key=signing_key(settings, create=True),
            timestamper=Timestamper(settings.tsa_url) if settings.tsa_url else None,
        )


@dataclass(frozen=True, slots=True)
class Sealed:
    """The checkpoint that seals the chain now (``None`` while the chain is empty), and
    whether it was just written."""

    checkpoint: Checkpoint | None
    written: bool


def seal(sealing: Seal) -> Sealed:
    """Write a checkpoint of the chain's head, unless the last checkpoint already seals it."""
    with sealing.file.locked() as log_file:
        last = log_file.last()
        with reading(sealing.engine).connect() as connection:
            head = read_head(connection)
        if head is None or head.seq == 0 or (last is not None and head.seq <= last.seq):
            return Sealed(last, written=False)
        checkpoint = Checkpoint(
            number=1 if last is None else last.number + 1,
            seq=head.seq,
            link=head.hash,
            entries=head.seq,
            time=sealing.clock(),
            key_id=sealing.key.id,
            previous=GENESIS_DIGEST if last is None else last.digest,
        ).signed_with(sealing.signing_key)
        checkpoint = _time_stamped(checkpoint, sealing.timestamper)
        log_file.append(checkpoint)
        return Sealed(checkpoint, written=True)


def _time_stamped(checkpoint: Checkpoint, timestamper: Timestamper | None) -> Checkpoint:
    if timestamper is None:
        return checkpoint
    try:
        token = timestamper.stamp(checkpoint.signed_bytes())
    except TimestampError as error:  # the checkpoint is worth writing all the same
        log.warning("%s is written without a time-stamp: %s", checkpoint.label, error)
        return checkpoint
    return replace(checkpoint, timestamp_token=token)


class Sealer:
    """Seals the chain on its own thread, at the configured intervals."""

    def __init__(
        self, write: Callable[[], Sealed], *, every: int, seconds: float
    ) -> None:
        if every < 1 or seconds <= 0:
            raise ValueError("checkpoints need a positive interval")
        self._write = write
        self._every = every
        self._seconds = seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sealed = 0  # the last seq sealed by this sealer
        self._committed = 0  # the last seq the writer reported

    @classmethod
    def from_settings(cls, engine: Engine, settings: JournalSettings) -> Sealer:
        sealing = Seal.from_settings(engine, settings)
        return cls(
            lambda: seal(sealing),
            every=settings.checkpoint_every,
            seconds=settings.checkpoint_seconds,
        )

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the journal sealer is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="journal-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Seal what was committed, then stop."""
        if self._thread is None:
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join()
        self._thread = None

    def committed(self, seq: int) -> None:
        """The writer committed entries up to ``seq``: cheap, never waits."""
        if seq > self._committed:
            self._committed = seq
            if self._due():
                self._wake.set()

    def _run(self) -> None:
        self._seal()
        while not self._stopping.is_set():
            woken = self._wake.wait(timeout=self._seconds)
            self._wake.clear()
            if woken and not self._stopping.is_set() and not self._due():
                continue  # a wake-up the last checkpoint already answered
            if not self._seal():  # not again at every batch: after an interval
                self._stopping.wait(timeout=self._seconds)
        self._seal()

    def _due(self) -> bool:
        return self._committed - self._sealed >= self._every

    def _seal(self) -> bool:
        try:
            sealed = self._write()
        except Exception as error:  # a full disk, an unreadable file: said, tried again later
            if is_outage(error):  # one line: the fault is the database's
                log.error("the journal could not be sealed with a checkpoint: the database is "
                          "unavailable (%s)", describe_outage(error))
            else:
                log.exception("the journal could not be sealed with a checkpoint")
            return False
        if sealed.checkpoint is not None:
            self._sealed = max(self._sealed, sealed.checkpoint.seq)
        return True
