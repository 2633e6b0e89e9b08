"""Serving the simulated eID provider (``carrefour source eid``) for the demo."""

from __future__ import annotations

import uvicorn

from carrefour.simulation.eid.app import Provider, create_app

EID_OFFSET = 25  # the demo's eID provider listens on base port + 25
CONSOLE_CLIENT = "carrefour-console"


def console_secret(seed: int) -> str:
    """The demo console's client secret at the provider (deterministic, like the others)."""
    return f"demo-console-secret-{seed}"


def eid_address(base_port: int) -> str:
    return f"http://127.0.0.1:{base_port + EID_OFFSET}"


def serve_eid(*, seed: int, port: int, host: str = "127.0.0.1") -> None:
    provider = Provider(clients={CONSOLE_CLIENT: console_secret(seed)})
    uvicorn.run(create_app(provider), host=host, port=port, log_level="warning")
