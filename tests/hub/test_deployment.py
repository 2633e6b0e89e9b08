"""The container deployment: the compose file is valid for ``docker compose config`` (or
``docker-compose config``, which CI installs), and its parts agree with each other."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"


def _compose_command() -> list[str] | None:
    """Docker's compose plugin (v2), else the standalone docker-compose (Debian's 1.29)."""
    if shutil.which("docker") is not None:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    return None


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


COMPOSE_COMMAND = _compose_command()


@pytest.mark.skipif(COMPOSE_COMMAND is None, reason="neither docker compose nor docker-compose")
def test_docker_compose_accepts_the_compose_file() -> None:
    assert COMPOSE_COMMAND is not None
    done = subprocess.run([*COMPOSE_COMMAND, "-f", str(COMPOSE), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_two_hubs_behind_the_proxy_scraped_by_prometheus() -> None:
    services = compose()["services"]
    assert {"postgres", "init", "sources", "hub-1", "hub-2", "proxy", "prometheus"} <= set(
        services)
    proxy = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server hub-1:8000;" in proxy and "server hub-2:8000;" in proxy
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    job = scrape["scrape_configs"][0]
    assert job["static_configs"][0]["targets"] == ["hub-1:8000", "hub-2:8000"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics-token"
    for hub in ("hub-1", "hub-2"):
        assert "metrics-token" in services[hub]["secrets"]
        assert "CARREFOUR_METRICS_TOKEN=" in " ".join(services[hub]["entrypoint"])


def test_the_demonstration_scrape_token_is_one_the_hub_accepts() -> None:
    from carrefour.settings import read_environment

    token = (ROOT / "deploy" / "metrics-token").read_text()
    assert read_environment({"CARREFOUR_METRICS_TOKEN": token}).metrics_token == token


def test_the_image_serves_the_hub_on_every_address() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["carrefour"]' in dockerfile
    assert '"--host", "0.0.0.0"' in dockerfile
    assert "USER carrefour" in dockerfile
