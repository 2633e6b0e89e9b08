"""Signed checkpoints: the chain's end, sealed at intervals in a file outside the database.

A checkpoint says "entry ``seq`` of the journal has link ``link``", when, with which chain key,
and the digest of the checkpoint before it; it is signed with the Ed25519 signing key and may
carry an RFC 3161 time-stamp token. Checkpoints are JSON Lines appended to one file (opened
``O_APPEND``, ``flock``-ed while a checkpoint is chosen and written, ``fsync``-ed), so several
hub processes writing the same chain can share the file and still form one chain of
checkpoints. Whoever can rewrite the database cannot forge a checkpoint, nor unseal one:
deleting or rewriting sealed entries shows, however the later links were recomputed.

What is signed is the checkpoint's body as canonical JSON (sorted keys, fixed separators, ASCII
escapes), standard library only, so that the bytes of old checkpoints never change.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CHECKPOINT_FORMAT = "carrefour-checkpoint/1"
GENESIS_DIGEST = "0" * 64
_TAIL_BLOCK = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    number: int  # 1 for the first checkpoint of the file, then one more each
    seq: int  # the last entry sealed
    link: str  # that entry's link
    entries: int  # entries sealed: the chain from entry 1 to ``seq``
    time: datetime
    key_id: str  # the chain key's id
    previous: str  # the digest of the checkpoint before, GENESIS_DIGEST for the first
    signature: bytes = b""
    timestamp_token: bytes | None = None  # an RFC 3161 TimeStampResp over the signed body

    def body(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "n": self.number,
            "seq": self.seq,
            "link": self.link,
            "entries": self.entries,
            "time": self.time.astimezone(UTC).isoformat(timespec="microseconds"),
            "key": self.key_id,
            "prev": self.previous,
        }

    def signed_bytes(self) -> bytes:
        return _json(self.body()).encode("ascii")

    @property
    def digest(self) -> str:
        """What the next checkpoint's ``previous`` must be."""
        return hashlib.sha256(self.signed_bytes()).hexdigest()

    @property
    def label(self) -> str:
        """How a person names it: ``checkpoint 17 of 2026-12-01T10:00:00Z``."""
        return f"checkpoint {self.number} of {self.time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"

    def signed_with(self, key: Ed25519PrivateKey) -> Checkpoint:
        return replace(self, signature=key.sign(self.signed_bytes()))

    def signature_valid(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(self.signature, self.signed_bytes())
        except InvalidSignature:
            return False
        return True

    def to_line(self) -> str:
        fields = self.body() | {"sig": _b64(self.signature)}
        if self.timestamp_token is not None:
            fields["tsa"] = _b64(self.timestamp_token)
        return _json(fields) + "\n"

    @classmethod
    def from_line(cls, line: str) -> Checkpoint:
        """Raises ``ValueError`` when the line is not a checkpoint."""
        try:
            fields = json.loads(line)
            if not isinstance(fields, dict) or fields.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"not a {CHECKPOINT_FORMAT} line")
            token = fields.get("tsa")
            return cls(
                number=_int(fields["n"]),
                seq=_int(fields["seq"]),
                link=_text(fields["link"]),
                entries=_int(fields["entries"]),
                time=_time(fields["time"]),
                key_id=_text(fields["key"]),
                previous=_text(fields["prev"]),
                signature=_unb64(fields["sig"]),
                timestamp_token=None if token is None else _unb64(token),
            )
        except (KeyError, TypeError, binascii.Error) as error:
            raise ValueError(f"a field is missing or malformed ({error})") from error


@dataclass(frozen=True, slots=True)
class CheckpointLine:
    """One line of the file: a checkpoint, or why it is none."""

    line: int
    checkpoint: Checkpoint | None
    error: str | None = None


class CheckpointFile:
    """The append-only file of checkpoints."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def locked(self) -> Iterator[_Locked]:
        """The file, locked against other writers (in this process and others) meanwhile."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield _Locked(descriptor)
        finally:
            os.close(descriptor)  # closing releases the lock

    def read(self) -> list[CheckpointLine]:
        """Every line, in order; raises ``FileNotFoundError`` when there is no file."""
        lines = []
        with self.path.open(encoding="ascii", errors="replace") as stream:
            for number, text in enumerate(stream, start=1):
                if text.strip():
                    lines.append(_parse(number, text))
        return lines


class _Locked:
    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def last(self) -> Checkpoint | None:
        """The last checkpoint; raises ``ValueError`` when the last line is not one."""
        text = _last_line(self._descriptor)
        return None if text is None else Checkpoint.from_line(text)

    def append(self, checkpoint: Checkpoint) -> None:
        data = checkpoint.to_line().encode("ascii")
        written = os.write(self._descriptor, data)
        if written != len(data):  # pragma: no cover - a full disk
            raise OSError(f"only {written} of {len(data)} bytes of a checkpoint were written")
        os.fsync(self._descriptor)


def _parse(number: int, text: str) -> CheckpointLine:
    try:
        return CheckpointLine(number, Checkpoint.from_line(text))
    except ValueError as error:
        return CheckpointLine(number, None, str(error))


def _last_line(descriptor: int) -> str | None:
    end = os.fstat(descriptor).st_size
    tail = b""
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        tail = os.pread(descriptor, end - start, start) + tail
        end = start
        if tail.rstrip(b"\n").count(b"\n"):
            break
    lines = tail.strip().splitlines()
    return lines[-1].decode("ascii", errors="replace") if lines else None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object) -> bytes:
    return base64.b64decode(_text(value), validate=True)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"{value!r} is not a count")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


def _time(value: object) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.utcoffset() is None:
        raise TypeError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)
