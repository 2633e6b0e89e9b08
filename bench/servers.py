"""The servers under test, each a subprocess of the benchmark: the National Register source and
the hub. Their output goes to a log file, shown when one fails to start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.network import Network, free_port

CARREFOUR = str(Path(sys.executable).with_name("carrefour"))
START_TIMEOUT = 180.0  # a busy machine starts the hub slowly


class ServerError(RuntimeError):
    """A server did not start or answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    name: str
    url: str
    pid: int


def source_command(network: Network) -> list[str]:
    source = network.source
    return [CARREFOUR, "source", "serve", "--kind", source.kind, "--port", str(source.port),
            "--database-url", source.database_url, "--token", source.token,
            "--name", source.name]


def hub_command(port: int, *, workers: int) -> list[str]:
    return [CARREFOUR, "serve", "--port", str(port), "--workers", str(workers)]


def hub_environment(network: Network) -> dict[str, str]:
    return {**os.environ, "CARREFOUR_DATABASE_URL": network.database_url,
            "CARREFOUR_DATA_DIR": str(network.data_dir),
            "CARREFOUR_TOKEN_SECRET": secrets.token_urlsafe(32)}


@contextmanager
def running_source(network: Network) -> Iterator[Server]:
    with running("source", source_command(network), url=network.source.endpoint,
                  health="/v1/health", log=network.data_dir / "source.log") as server:
        yield server


@contextmanager
def running_hub(network: Network, *, workers: int, env: dict[str, str] | None = None
                ) -> Iterator[Server]:
    """The hub on a free port (``env``: more variables for it)."""
    port = free_port()
    with running("hub", hub_command(port, workers=workers), url=f"http://127.0.0.1:{port}",
                  health="/health", log=network.data_dir / "hub.log",
                  env={**hub_environment(network), **(env or {})}) as server:
        yield server


@contextmanager
def running(name: str, command: list[str], *, url: str, health: str, log: Path,
             env: dict[str, str] | None = None) -> Iterator[Server]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_healthy(process, url + health, log)
        yield Server(name=name, url=url, pid=process.pid)
    finally:
        _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ServerError(f"{url} did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fetch_token(hub: Server, network: Network) -> str:
    """A bearer token of the demo CPAS (client credentials)."""
    answer = httpx.post(f"{hub.url}/oauth/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": network.client_id,
        "client_secret": network.client_secret})
    if answer.status_code != 200:
        raise ServerError(f"/oauth/token answered {answer.status_code}: {answer.text}")
    token: str = answer.json()["access_token"]
    return token
