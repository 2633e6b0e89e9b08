"""Settings, read from the environment once at start-up (never at import time)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from carrefour.limits import MAX_BODY_BYTES

DEFAULT_DATA_DIR = Path("var")


def default_database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    return f"sqlite:///{data_dir / 'carrefour.sqlite3'}"


@dataclass(frozen=True, kw_only=True)
class JournalSettings:
    """Where the journal's keys and checkpoints live, kept outside the database, and how often
    the chain is sealed. Files default to the data folder, beside the embedded database."""

    key: str | None = None  # the chain's HMAC key itself (CARREFOUR_JOURNAL_KEY), else key_file
    key_file: Path = DEFAULT_DATA_DIR / "journal-key"
    signing_key_file: Path = DEFAULT_DATA_DIR / "journal-signing-key.pem"
    public_key_file: Path = DEFAULT_DATA_DIR / "journal-signing-key.pub"
    checkpoint_file: Path = DEFAULT_DATA_DIR / "journal-checkpoints.jsonl"
    checkpoint_every: int = 10_000  # entries
    checkpoint_seconds: float = 30.0
    tsa_url: str | None = None  # an RFC 3161 time-stamping authority, where one is configured
    tsa_certificate_file: Path | None = None  # its certificate (PEM), to check its tokens

    @classmethod
    def in_folder(cls, data_dir: Path) -> JournalSettings:
        return cls(
            key_file=data_dir / "journal-key",
            signing_key_file=data_dir / "journal-signing-key.pem",
            public_key_file=data_dir / "journal-signing-key.pub",
            checkpoint_file=data_dir / "journal-checkpoints.jsonl",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JournalSettings:
        env = os.environ if environ is None else environ
        folder = cls.in_folder(Path(env.get("CARREFOUR_DATA_DIR", str(DEFAULT_DATA_DIR))))
        signing = _path(env, "CARREFOUR_JOURNAL_SIGNING_KEY_FILE") or folder.signing_key_file
        tsa_certificate = _path(env, "CARREFOUR_JOURNAL_TSA_CERTIFICATE")
        return cls(
            key=env.get("CARREFOUR_JOURNAL_KEY") or None,
            key_file=_path(env, "CARREFOUR_JOURNAL_KEY_FILE") or folder.key_file,
            signing_key_file=signing,
            public_key_file=_path(env, "CARREFOUR_JOURNAL_PUBLIC_KEY_FILE")
            or signing.with_suffix(".pub"),
            checkpoint_file=_path(env, "CARREFOUR_JOURNAL_CHECKPOINTS") or folder.checkpoint_file,
            checkpoint_every=int(env.get("CARREFOUR_JOURNAL_CHECKPOINT_EVERY", "10000")),
            checkpoint_seconds=float(env.get("CARREFOUR_JOURNAL_CHECKPOINT_SECONDS", "30")),
            tsa_url=env.get("CARREFOUR_JOURNAL_TSA_URL") or None,
            tsa_certificate_file=tsa_certificate,
        )


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the hub needs to know about its environment."""

    database_url: str = field(default_factory=default_database_url)
    token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_ttl_seconds: int = 900
    source_timeout_seconds: float = 5.0
    journal_batch_max: int = 512
    max_body_bytes: int = MAX_BODY_BYTES  # every request body, REST and SOAP (413 beyond)
    data_dir: Path = DEFAULT_DATA_DIR
    # SOAP (CBSS wire formats): client addresses admitted on the SSDN connector without HTTP
    # authentication, as (CBE number, network) pairs; the folder of the CBSS schemas the
    # served WSDLs may refer to (not shipped with Carrefour).
    soap_client_addresses: tuple[tuple[str, str], ...] = ()
    cbss_schemas_dir: Path | None = None
    # The journal's keys and checkpoints; None: read from the environment when the hub is built
    # (JournalSettings.from_env), so that every writer of a process uses the same key.
    journal: JournalSettings | None = None
    # Authentication (token endpoint, SOAP HTTP Basic): failures allowed per client id and
    # per client address within the window before attempts are refused (429, answered after
    # the refusal delay); the dedicated threads that check secrets and how many checks may
    # wait for them (beyond: 503).
    auth_client_failures: int = 10
    auth_address_failures: int = 50
    auth_failure_window_seconds: float = 300.0
    auth_refusal_delay_seconds: float = 1.0  # a throttled attempt's answer waits this long
    auth_hash_threads: int = 1
    auth_hash_queue: int = 8

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("CARREFOUR_DATA_DIR", str(DEFAULT_DATA_DIR)))
        return cls(
            database_url=env.get("CARREFOUR_DATABASE_URL", default_database_url(data_dir)),
            token_secret=env.get("CARREFOUR_TOKEN_SECRET") or _persistent_secret(data_dir),
            token_ttl_seconds=int(env.get("CARREFOUR_TOKEN_TTL", "900")),
            source_timeout_seconds=float(env.get("CARREFOUR_SOURCE_TIMEOUT", "5")),
            max_body_bytes=int(env.get("CARREFOUR_MAX_BODY_BYTES", str(MAX_BODY_BYTES))),
            data_dir=data_dir,
            soap_client_addresses=parse_client_addresses(
                env.get("CARREFOUR_SOAP_CLIENT_ADDRESSES", "")
            ),
            cbss_schemas_dir=Path(env["CARREFOUR_CBSS_SCHEMAS"])
            if env.get("CARREFOUR_CBSS_SCHEMAS")
            else None,
            journal=JournalSettings.from_env(env),
            auth_client_failures=int(env.get("CARREFOUR_AUTH_CLIENT_FAILURES", "10")),
            auth_address_failures=int(env.get("CARREFOUR_AUTH_ADDRESS_FAILURES", "50")),
            auth_failure_window_seconds=float(env.get("CARREFOUR_AUTH_FAILURE_WINDOW", "300")),
            auth_refusal_delay_seconds=float(env.get("CARREFOUR_AUTH_REFUSAL_DELAY", "1")),
            auth_hash_threads=int(env.get("CARREFOUR_AUTH_HASH_THREADS", "1")),
            auth_hash_queue=int(env.get("CARREFOUR_AUTH_HASH_QUEUE", "8")),
        )


def parse_client_addresses(text: str) -> tuple[tuple[str, str], ...]:
    """``CBE=NETWORK`` pairs separated by commas or spaces, e.g. ``0212345678=10.1.2.0/24``."""
    pairs = []
    for item in text.replace(",", " ").split():
        cbe, _, network = item.partition("=")
        if not cbe or not network:
            raise ValueError(f"CARREFOUR_SOAP_CLIENT_ADDRESSES: {item!r} is not CBE=NETWORK")
        pairs.append((cbe.strip(), network.strip()))
    return tuple(pairs)


def _persistent_secret(data_dir: Path) -> str:
    """A signing secret kept beside the embedded database, so tokens survive a restart."""
    path = data_dir / "token-secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
