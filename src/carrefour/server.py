"""Running the hub under uvicorn (uvloop, httptools), its workers supervised.

The parent process binds the socket and starts the workers; a worker that dies (killed, a
fatal signal such as SIGBUS, an exit) is logged with how it ended and replaced at once. A
worker that fails before it started serving stops the parent instead: it would fail the same
way on every restart."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

STARTUP_FAILURE = getattr(uvicorn.config, "STARTUP_FAILURE", 3)  # a worker's exit code

log = logging.getLogger("uvicorn.error")  # uvicorn's own handler: shown at level warning
WORKER_HEALTHCHECK_SECONDS = 30  # a new worker must be ready within it on a restart (SIGHUP)


def hub_app() -> FastAPI:
    """Factory used by uvicorn in each worker process: settings from the environment."""
    from carrefour.api.app import create_app
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings

    die_with_parent()
    return create_app(build_hub(Settings.from_env()))


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


def run_hub(*, host: str, port: int, workers: int = 1) -> None:
    from carrefour.config import Settings

    Settings.from_env()  # creates the shared token secret before any worker starts
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
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    Supervisor(config, sockets=[config.bind_socket()]).run()
