"""Running the hub under uvicorn (uvloop, httptools), its workers supervised.

The parent process binds the socket and starts the workers; a worker that dies (killed, a
fatal signal such as SIGBUS, an exit) is logged with how it ended and replaced at once. A
worker that is alive but hung (stopped, stuck: its event loop silent, see
:mod:`carrefour.heartbeat`) for longer than ``CARREFOUR_WORKER_HEARTBEAT_TIMEOUT`` is killed
and replaced. A worker that fails before it started serving stops the parent instead: it
would fail the same way on every restart."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from socket import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from carrefour import collector
from carrefour.db import build_engine
from carrefour.heartbeat import HEARTBEAT_DIR, HeartbeatWatch, beat_file, with_heartbeat
from carrefour.observability import logs
from carrefour.observability.metrics import MULTIPROCESS_DIR

STARTUP_FAILURE = getattr(uvicorn.config, "STARTUP_FAILURE", 3)  # a worker's exit code

log = logging.getLogger("uvicorn.error")  # uvicorn's own handler: shown at level warning
WORKER_HEALTHCHECK_SECONDS = 30  # a new worker must be ready within it on a restart (SIGHUP)
WORKER_STARTUP_SECONDS = 120  # a new worker's first heartbeat must come within it
# The event loop and the worker's threads (the journal writer, the intake's and the deliveries'
# database work) share the interpreter's lock. A thread back from the database waits for the
# busy loop to let go of it for up to the switch interval, at every statement of a batch: with
# the default 5 ms a consultation waited 16 ms at p50 and 39 ms at p99 at 1,000/s on SQLite,
# against 10 and 29 ms with 0.5 ms (PostgreSQL: 32 / 114 ms against 26 / 70 ms), for the same
# throughput (benchmarks.md, "Speed and scale-out", 2026-12-04).
SWITCH_INTERVAL_SECONDS = 0.0005


def hub_app() -> FastAPI:
    """Factory used by uvicorn in each worker process: settings from the environment."""
    from carrefour.api.app import create_app
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings

    die_with_parent()
    settings = Settings.from_env()
    logs.configure(settings.observability)
    app = create_app(build_hub(settings))
    settle_after_start(app)
    if folder := os.environ.get(HEARTBEAT_DIR):
        file = beat_file(Path(folder), os.getpid())
        app = with_heartbeat(app, file, timeout=settings.worker_heartbeat_timeout_seconds)
    return app


def settle_after_start(app: FastAPI) -> None:
    """Settle the worker's garbage collector once the hub has started (``collector``), and
    shorten the interpreter's switch interval (:data:`SWITCH_INTERVAL_SECONDS`)."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: FastAPI) -> AsyncIterator[Any]:
        async with started(inner) as state:
            collector.settle()
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            yield state

    app.router.lifespan_context = lifespan


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A worker whose supervisor was killed (``kill -9``) is killed too, as it would have been
    when it ran in the supervisor's process: no orphan keeps the port or the database."""
    supervisor = multiprocessing.parent_process()  # the pid it was started by
    parent = supervisor.pid if supervisor is not None else os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the supervisor died before the request was made (the
        os.kill(os.getpid(), signal.SIGKILL)  # worker still importing the hub, say)


class Supervisor(Multiprocess):
    """uvicorn's supervisor, saying how each dead worker ended before it replaces it, and
    killing and replacing a worker whose heartbeat is overdue; a worker that failed before
    serving stops the supervisor."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket], *,
                 heartbeats: HeartbeatWatch) -> None:
        super().__init__(config, sockets)
        self.heartbeats = heartbeats

    def keep_subprocess_alive(self) -> None:
        self.heartbeats.keep(worker.pid for worker in self.processes if worker.pid)
        for index, worker in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if not self._to_replace(worker):
                continue
            self.heartbeats.forget(worker.pid or 0)
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[index] = replacement

    def _to_replace(self, worker: Process) -> bool:
        # Not pinged (uvicorn's ping thread answers even when the event loop is stuck): the
        # heartbeat comes from the loop, and a worker still starting has time to beat.
        if worker.process.is_alive():
            return self._hung(worker)
        worker.join()
        worker.parent_conn.close()
        worker.child_conn.close()
        if worker.exitcode == STARTUP_FAILURE:
            log.error("hub worker [%s] failed to start; stopping", worker.pid)
            self.should_exit.set()
            return False
        log.error("hub worker [%s] died (%s); starting a new one", worker.pid,
                  ended(worker.exitcode))
        return True

    def _hung(self, worker: Process) -> bool:
        silent = self.heartbeats.overdue(worker.pid or 0)
        if silent is None:
            return False
        worker.kill()  # SIGKILL: a stopped worker cannot act on SIGTERM
        worker.join()
        log.error("hub worker [%s] silent for %.1f s (heartbeat timeout %g s); killed, "
                  "starting a new one", worker.pid, silent, self.heartbeats.timeout)
        return True


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
    with tempfile.TemporaryDirectory(prefix="carrefour-heartbeat-") as folder:
        os.environ[HEARTBEAT_DIR] = folder  # the workers' beats, one file each
        heartbeats = HeartbeatWatch(Path(folder),
                                    timeout=settings.worker_heartbeat_timeout_seconds,
                                    startup=WORKER_STARTUP_SECONDS)
        Supervisor(config, [config.bind_socket()], heartbeats=heartbeats).run()


def share_metrics(folder: Path) -> None:
    """Prometheus multiprocess mode: the workers write their figures in ``folder`` (emptied
    now), and a scrape of any of them answers the sum of all (observability.metrics)."""
    if os.environ.get(MULTIPROCESS_DIR):
        folder = Path(os.environ[MULTIPROCESS_DIR])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(folder)
