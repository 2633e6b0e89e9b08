"""Running the hub under uvicorn (uvloop, httptools)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from carrefour.db import build_engine
from carrefour.observability import logs
from carrefour.observability.metrics import MULTIPROCESS_DIR


def hub_app() -> FastAPI:
    """Factory used by uvicorn in each worker process: settings from the environment."""
    from carrefour.api.app import create_app
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings

    settings = Settings.from_env()
    logs.configure(settings.observability)
    return create_app(build_hub(settings))


def run_hub(*, host: str, port: int, workers: int = 1, database_url: str | None = None) -> None:
    """Serve the hub; settings from the environment (``database_url``, when given, replaces
    ``CARREFOUR_DATABASE_URL`` for every worker)."""
    from carrefour.config import Settings

    if database_url:
        os.environ["CARREFOUR_DATABASE_URL"] = database_url
    settings = Settings.from_env()  # validates, and creates the shared token secret
    build_engine(settings.database_url).dispose()  # a bad URL fails here, in one line
    logs.configure(settings.observability)
    if workers > 1:
        share_metrics(settings.data_dir / "metrics")
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
        log_config=None,  # the hub's own logging (carrefour.observability.logs)
    )


def share_metrics(folder: Path) -> None:
    """Prometheus multiprocess mode: the workers write their figures in ``folder`` (emptied
    now), and a scrape of any of them answers the sum of all (observability.metrics)."""
    if os.environ.get(MULTIPROCESS_DIR):
        folder = Path(os.environ[MULTIPROCESS_DIR])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(folder)
