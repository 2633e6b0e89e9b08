"""The journal's two keys, both kept outside the database it protects.

* The **chain key** (HMAC-SHA256) links each entry to the one before it: whoever can write the
  database but does not hold the key cannot recompute the links after rewriting an entry. It is
  ``CARREFOUR_JOURNAL_KEY`` itself, or else a key file (``CARREFOUR_JOURNAL_KEY_FILE``, by
  default ``journal-key`` beside the embedded database) created on first write, mode 0600.
* The **signing key** (Ed25519) signs the checkpoints that seal the chain; the private key is a
  PEM file created on first use (mode 0600), its public key a PEM file beside it that an auditor
  holds (``carrefour journal public-key``).

Every writer of one database in a process links with the same chain key: the hub registers its
own (:func:`use_key`); any other writer reads the process's default from the environment. The
journal head records the id of the key it was written with, so a writer holding another key is
refused rather than allowed to break the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine

from carrefour.config import JournalSettings

MIN_KEY_LENGTH = 32  # characters of the key's text
_KEY_ID_MESSAGE = b"carrefour-journal/key-id"


class JournalKeyError(Exception):
    """A key of the journal is missing, unreadable or unusable (said for an operator)."""


@dataclass(frozen=True, slots=True)
class ChainKey:
    """The secret that links the chain, where it came from, and its public id."""

    origin: str  # the file it was read from, or the environment variable
    id: str  # names the key without revealing it: the head and checkpoints carry it
    _mac: hmac.HMAC = field(repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str, *, origin: str) -> ChainKey:
        secret = text.strip()
        if len(secret) < MIN_KEY_LENGTH:
            raise JournalKeyError(
                f"the journal key from {origin} is shorter than {MIN_KEY_LENGTH} characters"
            )
        mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
        key_id = hmac.new(secret.encode("utf-8"), _KEY_ID_MESSAGE, hashlib.sha256)
        return cls(origin=origin, id=key_id.hexdigest()[:16], _mac=mac)

    def link(self, message: bytes) -> str:
        mac = self._mac.copy()
        mac.update(message)
        return mac.hexdigest()


def chain_key(settings: JournalSettings, *, create: bool) -> ChainKey:
    """The configured chain key; the key file is created when ``create`` and it is absent."""
    if settings.key:
        return ChainKey.from_text(settings.key, origin="CARREFOUR_JOURNAL_KEY")
    path = settings.key_file
    if not path.exists():
        if not create:
            raise JournalKeyError(f"there is no journal key at {path}")
        write_new_file(path, secrets.token_urlsafe(32).encode("ascii"), mode=0o600)
    return ChainKey.from_text(_read(path, "journal key"), origin=str(path))


# --- the signing key -------------------------------------------------------------------------
def signing_key(settings: JournalSettings, *, create: bool) -> Ed25519PrivateKey:
    """The private key that signs checkpoints; created (with its public key) when absent."""
    path = settings.signing_key_file
    if not path.exists():
        if not create:
            raise JournalKeyError(f"there is no checkpoint signing key at {path}")
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_new_file(path, pem, mode=0o600)
    private = _load_private(path)
    if not settings.public_key_file.exists():
        write_new_file(settings.public_key_file, public_pem(private.public_key()), mode=0o644)
    return private


def public_key(settings: JournalSettings, *, derive: bool = True) -> Ed25519PublicKey:
    """The key that checks checkpoint signatures: the public key file, else (``derive``)
    derived from the private key file."""
    if settings.public_key_file.exists():
        return load_public_key(settings.public_key_file)
    if derive and settings.signing_key_file.exists():
        return _load_private(settings.signing_key_file).public_key()
    raise JournalKeyError(f"there is no checkpoint public key at {settings.public_key_file}")


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(_read(path, "public key").encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as error:
        raise JournalKeyError(f"{path} does not hold a PEM public key ({error})") from error
    if not isinstance(key, Ed25519PublicKey):
        raise JournalKeyError(f"{path} holds a public key that is not an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise JournalKeyError(f"{path} does not hold a usable private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise JournalKeyError(f"{path} holds a private key that is not an Ed25519 key")
    return key


# --- files -----------------------------------------------------------------------------------
def write_new_file(path: Path, content: bytes, *, mode: int) -> None:
    """Create ``path`` with ``content`` at once (written aside, then linked into place), unless
    another process created it first: then its file is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink()


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise JournalKeyError(f"the {what} at {path} cannot be read ({error})") from error


# --- which key a database's chain is linked with, in this process -----------------------------
_lock = threading.Lock()
_keys: dict[str, ChainKey] = {}


def use_key(engine: Engine, key: ChainKey) -> None:
    """Link every entry this process appends to ``engine``'s database with ``key``."""
    with _lock:
        _keys[_database(engine)] = key


def key_for_writing(engine: Engine) -> ChainKey:
    """The registered key, else the environment's (its key file created on first write)."""
    database = _database(engine)
    with _lock:
        key = _keys.get(database)
        if key is None:
            key = _keys[database] = chain_key(JournalSettings.from_env(), create=True)
        return key


def registered_key(engine: Engine) -> ChainKey | None:
    with _lock:
        return _keys.get(_database(engine))


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
