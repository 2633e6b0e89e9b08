"""Settings, read from the environment once at start-up (never at import time)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from carrefour.limits import MAX_BODY_BYTES
from carrefour.settings import DEFAULT_DATA_DIR as DEFAULT_DATA_DIR
from carrefour.settings import (
    EnvironmentSettings,
    SettingsError,
    read_environment,
)


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
        return cls.of(read_environment(environ))

    @classmethod
    def of(cls, env: EnvironmentSettings) -> JournalSettings:
        folder = cls.in_folder(env.data_dir)
        signing = env.journal_signing_key_file or folder.signing_key_file
        return cls(
            key=env.journal_key,
            key_file=env.journal_key_file or folder.key_file,
            signing_key_file=signing,
            public_key_file=env.journal_public_key_file or signing.with_suffix(".pub"),
            checkpoint_file=env.journal_checkpoints or folder.checkpoint_file,
            checkpoint_every=env.journal_checkpoint_every,
            checkpoint_seconds=env.journal_checkpoint_seconds,
            tsa_url=env.journal_tsa_url,
            tsa_certificate_file=env.journal_tsa_certificate,
        )


@dataclass(frozen=True, kw_only=True)
class ObservabilitySettings:
    """Metrics, logs and traces (docs/observability.md)."""

    metrics_token: str | None = None  # the bearer token a scraper sends to /metrics
    log_format: str = "auto"  # json | text | auto (text on a terminal, JSON otherwise)
    log_level: str = "info"
    tracing: str = "off"  # off | otlp | console
    otlp_endpoint: str | None = None  # e.g. http://collector:4318 (OTLP over HTTP)
    service_name: str = "carrefour-hub"

    @classmethod
    def of(cls, env: EnvironmentSettings) -> ObservabilitySettings:
        return cls(
            metrics_token=env.metrics_token, log_format=env.log_format, log_level=env.log_level,
            tracing=env.tracing, otlp_endpoint=env.otlp_endpoint, service_name=env.service_name,
        )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the hub needs to know about its environment."""

    database_url: str = field(default_factory=default_database_url)
    token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_ttl_seconds: int = 900
    source_timeout_seconds: float = 5.0
    journal_batch_max: int = 512
    journal_gather_seconds: float = 0.002  # a journal batch waits this long for more entries
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
    observability: ObservabilitySettings = field(default_factory=lambda: ObservabilitySettings())
    # The journal's archive (closed months in Parquet) that the statistics read with the live
    # journal; None: ``archive`` in the data folder.
    archive_dir: Path | None = None
    # ``carrefour serve``: a worker whose event loop has not beaten for this long is killed
    # and replaced (carrefour.heartbeat).
    worker_heartbeat_timeout_seconds: float = 30.0

    @property
    def journal_archive_dir(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"
    # Lists: how long a file stays in its recipient's mailbox; seconds between two runs of the
    # lists' schedule (0: none; lists are then produced on demand only).
    lists_retention_seconds: float = 2_592_000.0
    lists_every_seconds: float = 0.0
    # Research extracts: the secret each project's pseudonym key is derived from (else the key
    # file, by default ``research-key`` in the data folder, created on first use, mode 0600),
    # the fewest persons a released cell may count, and the most rows an extract answers
    # inline (more: a file in the researcher's mailbox, downloaded like a list's).
    research_key: str | None = None
    research_key_file: Path | None = None
    research_min_cell: int = 5
    research_inline_rows: int = 10_000

    @property
    def research_key_path(self) -> Path:
        return self.research_key_file or self.data_dir / "research-key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of the environment (validated by :mod:`carrefour.settings`)."""
        env = read_environment(environ)
        return cls(
            database_url=env.database_url or default_database_url(env.data_dir),
            token_secret=env.token_secret or _persistent_secret(env.data_dir),
            token_ttl_seconds=env.token_ttl,
            source_timeout_seconds=env.source_timeout,
            journal_gather_seconds=env.journal_gather_ms / 1000,
            max_body_bytes=env.max_body_bytes,
            data_dir=env.data_dir,
            soap_client_addresses=_client_addresses(env.soap_client_addresses),
            cbss_schemas_dir=env.cbss_schemas,
            journal=JournalSettings.of(env),
            auth_client_failures=env.auth_client_failures,
            auth_address_failures=env.auth_address_failures,
            auth_failure_window_seconds=env.auth_failure_window,
            auth_refusal_delay_seconds=env.auth_refusal_delay,
            auth_hash_threads=env.auth_hash_threads,
            auth_hash_queue=env.auth_hash_queue,
            observability=ObservabilitySettings.of(env),
            archive_dir=env.archive_dir or env.data_dir / "archive",
            lists_retention_seconds=env.lists_retention,
            lists_every_seconds=env.lists_every,
            worker_heartbeat_timeout_seconds=env.worker_heartbeat_timeout,
            research_key=env.research_key,
            research_key_file=env.research_key_file,
            research_min_cell=env.research_min_cell,
            research_inline_rows=env.research_inline_rows,
        )


def _client_addresses(text: str) -> tuple[tuple[str, str], ...]:
    try:
        return parse_client_addresses(text)
    except ValueError as error:
        raise SettingsError(f"invalid setting {error}") from None


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
