"""Every ``CARREFOUR_*`` environment variable, read and validated by one pydantic-settings model.

:func:`read_environment` is the one place where the hub reads its environment; the parts of
the hub take their own views of it (``config.Settings``, ``config.JournalSettings``,
``signal.delivery.DeliveryPolicy``). A bad value is refused with :class:`SettingsError`, whose
message names the variable, the value and what is expected, in one line. Each variable is
documented in ``docs/configuration.md``; a test checks that the two lists agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from carrefour.limits import MAX_BODY_BYTES

PREFIX = "CARREFOUR_"
DEFAULT_DATA_DIR = Path("var")


class SettingsError(Exception):
    """A setting of the environment has a value the hub cannot use."""


class EnvironmentSettings(BaseSettings):
    """The hub's settings; each field is the variable ``CARREFOUR_<FIELD NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, extra="ignore", frozen=True, env_ignore_empty=True
    )

    # --- storage and tokens ------------------------------------------------------------------
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(default=None, min_length=1)
    token_secret: str | None = Field(default=None, min_length=16)
    token_ttl: int = Field(default=900, ge=30, le=86_400)
    source_timeout: float = Field(default=5.0, gt=0, le=300)
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1_024, le=1 << 30)
    soap_client_addresses: str = ""
    cbss_schemas: Path | None = None
    # --- the journal ---------------------------------------------------------------------------
    journal_gather_ms: float = Field(default=2.0, ge=0, le=100)
    journal_key: str | None = None
    journal_key_file: Path | None = None
    journal_signing_key_file: Path | None = None
    journal_public_key_file: Path | None = None
    journal_checkpoints: Path | None = None
    journal_checkpoint_every: int = Field(default=10_000, ge=1)
    journal_checkpoint_seconds: float = Field(default=30.0, gt=0)
    journal_tsa_url: str | None = Field(default=None, pattern=r"^https?://")
    journal_tsa_certificate: Path | None = None
    # --- authentication ----------------------------------------------------------------------
    auth_client_failures: int = Field(default=10, ge=1)
    auth_address_failures: int = Field(default=50, ge=1)
    auth_failure_window: float = Field(default=300.0, gt=0)
    auth_refusal_delay: float = Field(default=1.0, ge=0, le=60)
    auth_hash_threads: int = Field(default=1, ge=1, le=64)
    auth_hash_queue: int = Field(default=8, ge=0, le=10_000)
    # --- the signal function (deliveries) ------------------------------------------------------
    signal_worker: bool = True
    signal_lease: float = Field(default=30.0, gt=0)
    signal_timeout: float = Field(default=5.0, gt=0)
    signal_backoff_base: float = Field(default=1.0, gt=0)
    signal_backoff_cap: float = Field(default=300.0, gt=0)
    signal_dead_after: float = Field(default=86_400.0, gt=0)
    signal_poll: float = Field(default=0.5, gt=0)
    signal_allowed_endpoints: str = ""
    signal_retention: float = Field(default=259_200.0, ge=0)
    signal_purge_every: float = Field(default=60.0, gt=0)
    # --- lists ---------------------------------------------------------------------------------
    lists_retention: float = Field(default=2_592_000.0, gt=0)
    lists_every: float = Field(default=0.0, ge=0)
    # --- observability -------------------------------------------------------------------------
    metrics_token: str | None = Field(default=None, min_length=16)
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    tracing: Literal["off", "otlp", "console"] = "off"
    otlp_endpoint: str | None = Field(default=None, pattern=r"^https?://")
    service_name: str = Field(default="carrefour-hub", min_length=1, max_length=100)
    # --- the journal's archive and the data warehouse ------------------------------------------
    archive_dir: Path | None = None
    # --- research extracts ----------------------------------------------------------------------
    research_key: str | None = Field(default=None, min_length=32)
    research_key_file: Path | None = None
    research_min_cell: int = Field(default=5, ge=2, le=1_000)
    research_inline_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    # --- the supervisor of ``carrefour serve`` -------------------------------------------------
    worker_heartbeat_timeout: float = Field(default=30.0, ge=1, le=3_600)


class _GivenSettings(EnvironmentSettings):
    """The same model, read from a mapping the caller gives and nothing else."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def read_environment(environ: Mapping[str, str] | None = None) -> EnvironmentSettings:
    """The settings of ``environ`` (default: the process's environment), validated."""
    try:
        if environ is None or environ is os.environ:
            return EnvironmentSettings()
        return _GivenSettings(**_fields(environ))  # type: ignore[arg-type]  # validated here
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None


def _fields(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``CARREFOUR_*`` variables of a mapping given by the caller (tests, tools), as the
    model's field names; empty values count as unset, as in the environment."""
    return {
        name.removeprefix(PREFIX).lower(): value
        for name, value in environ.items()
        if name.upper().startswith(PREFIX) and value != ""
    }


def _one_line(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        problems.append(f"{name}={item.get('input')!r}: {item['msg']}")
    return "invalid setting " + "; ".join(problems)


def documented_variables() -> list[str]:
    """The names of every variable the model reads (for the documentation check)."""
    return [PREFIX + name.upper() for name in EnvironmentSettings.model_fields]
