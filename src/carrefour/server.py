"""Running the hub under uvicorn (uvloop, httptools), its workers supervised.

The parent process binds the socket and starts the workers; a worker that dies (killed, a
fatal signal such as SIGBUS, an exit) is logged with how it ended and replaced at once. A
worker that fails before it started serving stops the parent instead: it would fail the same
way on every restart."""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from carrefour.db import build_engine
from carrefour.observability import logs
from carrefour.observability.metrics import MULTIPROCESS_DIR

STARTUP_FAILURE = getattr(uvicorn.config, "STARTUP_FAILURE", 3)  # a worker's exit code

log = logging.getLogger("uvicorn.error")  # uvicorn's own handler: shown at level warning
WORKER_HEALTHCHECK_SECONDS = 30  # a new worker must be ready within it on a restart (SIGHUP)



def hub_app() -> FastAPI:
    """Factory used by uvicorn in each worker process: settings from the environment."""
    from carrefour.api.app import create_app
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings

    die_with_parent()
    settings = Settings.from_env()
    logs.configure(settings.observability)
    return create_app(build_hub(settings))


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A worker whose supervisor was killed (``kill -9``) is killed too, as it would have been
    when it ran in the supervisor's process: no orphan keeps the port or the database."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the supervisor died before the request was made
        os.kill(os.getpid(), signal.SIGKILL)


class Supervisor(Multiprocess):
    """uvicorn's supervisor, saying how each dead worker ended before it replaces it; a worker
    that failed before serving stops the supervisor."""

    def keep_subprocess_alive(self) -> None:
        for index, worker in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if worker.process.is_alive():  # not pinged: a worker still importing the hub on
                continue  # a loaded machine is slow to answer, not dead
            worker.join()
            worker.parent_conn.close()
            worker.child_conn.close()
            if worker.exitcode == STARTUP_FAILURE:
                log.error("hub worker [%s] failed to start; stopping", worker.pid)
                self.should_exit.set()
                return
            log.error("hub worker [%s] died (%s); starting a new one", worker.pid,
                      ended(worker.exitcode))
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[index] = replacement


def ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "no exit code"
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def run_hub(*, host: str, port: int, workers: int = 1, database_url: str | None = None) -> None:
    """Serve the hub, its workers supervised; settings from the environment (``database_url``,
    when given, replaces ``CARREFOUR_DATABASE_URL`` for every worker)."""
    from carrefour.config import Settings

    if database_url:
        os.environ["CARREFOUR_DATABASE_URL"] = database_url
    settings = Settings.from_env()  # validates, and creates the shared token secret
    build_engine(settings.database_url).dispose()  # a bad URL fails here, in one line
    logs.configure(settings.observability)
    if workers > 1:
        share_metrics(settings.data_dir / "metrics")
    config = uvicorn.Config(
        "carrefour.server:hub_app",
        factory=True,
        host=host,
        port=port,
        workers=max(workers, 1),
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=False,  # the hub is reached directly; no proxy to trust
        log_level="warning",
        log_config=None,  # the hub's own logging (carrefour.observability.logs)
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    Supervisor(config, sockets=[config.bind_socket()]).run()


def share_metrics(folder: Path) -> None:
    """Prometheus multiprocess mode: the workers write their figures in ``folder`` (emptied
    now), and a scrape of any of them answers the sum of all (observability.metrics)."""
    if os.environ.get(MULTIPROCESS_DIR):
        folder = Path(os.environ[MULTIPROCESS_DIR])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(folder)
