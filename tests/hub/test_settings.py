"""One settings model reads every variable, refuses a bad value clearly, and every variable it
reads is documented in docs/configuration.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrefour.config import Settings
from carrefour.settings import SettingsError, documented_variables, read_environment
from carrefour.signal.delivery import DeliveryPolicy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_variable_is_documented() -> None:
    text = DOCS.read_text()
    missing = [name for name in documented_variables() if f"`{name}`" not in text]
    assert missing == []


def test_the_values_reach_the_parts_of_the_hub(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "CARREFOUR_DATA_DIR": str(tmp_path), "CARREFOUR_TOKEN_SECRET": "s" * 32,
        "CARREFOUR_TOKEN_TTL": "60", "CARREFOUR_METRICS_TOKEN": "m" * 20,
        "CARREFOUR_JOURNAL_CHECKPOINT_EVERY": "7", "CARREFOUR_WORKER_HEARTBEAT_TIMEOUT": "2.5",
    })
    assert settings.database_url == f"sqlite:///{tmp_path / 'carrefour.sqlite3'}"
    assert settings.token_ttl_seconds == 60
    assert settings.observability.metrics_token == "m" * 20
    assert settings.journal is not None and settings.journal.checkpoint_every == 7
    assert settings.worker_heartbeat_timeout_seconds == 2.5
    assert DeliveryPolicy.from_env({"CARREFOUR_SIGNAL_WORKER": "no"}).enabled is False


def test_an_empty_value_is_as_if_unset() -> None:
    assert read_environment({"CARREFOUR_JOURNAL_KEY": "", "CARREFOUR_TOKEN_TTL": ""}).token_ttl \
        == 900


@pytest.mark.parametrize(("environ", "named"), [
    ({"CARREFOUR_AUTH_HASH_THREADS": "0"}, "CARREFOUR_AUTH_HASH_THREADS='0'"),
    ({"CARREFOUR_TRACING": "zipkin"}, "CARREFOUR_TRACING='zipkin'"),
    ({"CARREFOUR_WORKER_HEARTBEAT_TIMEOUT": "0"}, "CARREFOUR_WORKER_HEARTBEAT_TIMEOUT='0'"),
    ({"CARREFOUR_METRICS_TOKEN": "short"}, "at least 16 characters"),
    ({"CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS": "10.0.0.0/99"}, "CARREFOUR_SIGNAL_ALLOWED"),
])
def test_a_bad_value_is_refused_with_its_name(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match="invalid setting") as refused:
        DeliveryPolicy.from_env(environ)
        Settings.from_env(environ)
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)
