"""What the chain is verified against, kept outside the database: the chain key, the signed
checkpoints and the public key that checks them (and the certificates of a time-stamping
authority, where checkpoints carry its tokens).

:class:`Anchors` loads them without creating anything, and says what it could not load; the
:class:`Seals` it yields checks the checkpoints among themselves (signatures, chaining, key)
and tells :func:`~carrefour.journal.chain.verify` which links they sealed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from carrefour.config import JournalSettings
from carrefour.journal.checkpoints import GENESIS_DIGEST, Checkpoint, CheckpointFile
from carrefour.journal.keys import (
    ChainKey,
    JournalKeyError,
    chain_key,
    public_key,
    registered_key,
)
from carrefour.journal.timestamps import TimestampError, check_token, load_certificates


@dataclass(frozen=True, slots=True)
class Finding:
    """A checkpoint that cannot be trusted: which one, and why."""

    seq: int
    detail: str


@dataclass(frozen=True, kw_only=True)
class Anchors:
    key: ChainKey | None = None
    checkpoint_file: Path | None = None
    public_key: Ed25519PublicKey | None = None
    tsa_certificates: list[x509.Certificate] | None = None
    # what could not be loaded, said for a person: why there is no key, no public key...
    key_missing: str | None = None
    public_key_missing: str | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def load(
        cls,
        settings: JournalSettings,
        *,
        key: ChainKey | None = None,
        derive_public_key: bool = True,
    ) -> Anchors:
        """Everything ``settings`` names; ``key`` when the caller already holds the chain key;
        the public key from the private key beside it when ``derive_public_key`` and the
        public key file is missing."""
        notes: list[str] = []
        key_missing = public_key_missing = None
        if key is None:
            try:
                key = chain_key(settings, create=False)
            except JournalKeyError as error:
                key_missing = str(error)
        verifying_key = None
        try:
            verifying_key = public_key(settings, derive=derive_public_key)
        except JournalKeyError as error:
            public_key_missing = str(error)
        certificates = None
        if settings.tsa_certificate_file is not None:
            try:
                certificates = load_certificates(settings.tsa_certificate_file)
            except TimestampError as error:
                notes.append(f"{error}: time-stamp tokens cannot be checked")
        return cls(key=key, checkpoint_file=settings.checkpoint_file, public_key=verifying_key,
                   tsa_certificates=certificates, key_missing=key_missing,
                   public_key_missing=public_key_missing, notes=tuple(notes))

    @classmethod
    def for_engine(cls, engine: Engine) -> Anchors:
        """The anchors of this process: its registered chain key, the environment's files."""
        return cls.load(JournalSettings.from_env(), key=registered_key(engine))

    def seals(self) -> Seals:
        """Read the checkpoints now (before the head is read: they never seal beyond it)."""
        seals = Seals(self)
        if self.checkpoint_file is None:
            return seals
        try:
            lines = CheckpointFile(self.checkpoint_file).read()
        except FileNotFoundError:
            seals.notes.append(
                f"there is no checkpoint file at {self.checkpoint_file}: the end of the "
                "journal is not anchored (deleting its last entries, or all of them, would "
                "not show)"
            )
            return seals
        except OSError as error:
            seals.notes.append(f"the checkpoint file cannot be read ({error})")
            return seals
        for line in lines:
            seals.take(line.line, line.checkpoint, line.error)
        seals.finish(lines=len(lines))
        return seals


@dataclass
class Seals:
    """The checkpoints that can be trusted, by the seq they seal, and the ones that cannot."""

    anchors: Anchors
    by_seq: dict[int, Checkpoint] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last: Checkpoint | None = None  # the last trusted checkpoint
    _previous: Checkpoint | None = None  # the previous line's checkpoint, trusted or not
    _unstamped_checks: int = 0

    @property
    def count(self) -> int:
        return len(self.by_seq)

    def take(self, line: int, checkpoint: Checkpoint | None, error: str | None) -> None:
        if checkpoint is None:
            self.findings.append(Finding(0, f"line {line} of the checkpoint file is not a "
                                             f"checkpoint ({error})"))
            return
        if not self._signed(checkpoint):
            detail = f"{checkpoint.label} has an invalid signature (forged or altered)"
            self.findings.append(Finding(checkpoint.seq, detail))
            return  # nor is it what the next checkpoint must follow
        problems = list(self._problems_of(checkpoint))
        self.findings.extend(Finding(checkpoint.seq, detail) for detail in problems)
        self._previous = checkpoint
        if not problems:
            self.by_seq[checkpoint.seq] = checkpoint
            self.last = checkpoint

    def _signed(self, checkpoint: Checkpoint) -> bool:
        key = self.anchors.public_key
        return key is None or checkpoint.signature_valid(key)

    def _problems_of(self, checkpoint: Checkpoint) -> Iterator[str]:
        label = checkpoint.label
        yield from self._chaining(checkpoint)
        chain_key = self.anchors.key
        if chain_key is not None and checkpoint.key_id != chain_key.id:
            yield (f"{label} was written with chain key {checkpoint.key_id}, not with the key "
                   f"given ({chain_key.id}, from {chain_key.origin})")
        if checkpoint.entries != checkpoint.seq:
            yield f"{label} says it seals {checkpoint.entries} entries up to entry {checkpoint.seq}"
        yield from self._time_stamp(checkpoint)

    def _chaining(self, checkpoint: Checkpoint) -> Iterator[str]:
        before = self._previous
        label = checkpoint.label
        if before is None:
            if checkpoint.number != 1 or checkpoint.previous != GENESIS_DIGEST:
                yield f"checkpoints before {label} are missing from the file"
            return
        if checkpoint.number != before.number + 1 or checkpoint.previous != before.digest:
            yield (f"{label} does not follow {before.label} (a checkpoint was removed, "
                   "inserted or altered)")
        elif checkpoint.seq <= before.seq:
            yield f"{label} seals entry {checkpoint.seq}, not beyond {before.label}"

    def _time_stamp(self, checkpoint: Checkpoint) -> Iterator[str]:
        token = checkpoint.timestamp_token
        if token is None:
            return
        if self.anchors.tsa_certificates is None:
            self._unstamped_checks += 1
            return
        try:
            check_token(token, checkpoint.signed_bytes(), self.anchors.tsa_certificates)
        except TimestampError as error:
            yield f"the time-stamp token of {checkpoint.label} does not check ({error})"

    def finish(self, *, lines: int) -> None:
        if lines and self.anchors.public_key is None:
            self.notes.append(f"{self.anchors.public_key_missing}: the signatures of {lines} "
                              "checkpoints were not checked")
        if self._unstamped_checks:
            self.notes.append(
                f"{self._unstamped_checks} time-stamp tokens were not checked: no certificate of "
                "the time-stamping authority is configured (CARREFOUR_JOURNAL_TSA_CERTIFICATE)"
            )
