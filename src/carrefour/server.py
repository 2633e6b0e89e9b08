"""Running the hub under uvicorn (uvloop, httptools)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI


def hub_app() -> FastAPI:
    """Factory used by uvicorn in each worker process: settings from the environment."""
    from carrefour.api.app import create_app
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings

    return create_app(build_hub(Settings.from_env()))


def run_hub(*, host: str, port: int, workers: int = 1) -> None:
    from carrefour.config import Settings

    Settings.from_env()  # creates the shared token secret before any worker starts
    uvicorn.run(
        "carrefour.server:hub_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=False,  # the hub is reached directly; no proxy to trust
        log_level="warning",
    )
