"""A hub worker's heartbeat: proof, from its event loop, that the worker still serves.

Each worker of ``carrefour serve`` touches its own file (named by its pid) in a folder its
supervisor made, a few times per timeout, from a task of its event loop: a worker that is
stopped (SIGSTOP), blocked in a call that never returns or spinning in a loop does not. The
supervisor notes, on its own monotonic clock, when it last saw each file change: a step of
the wall clock neither condemns nor spares a worker (docs/operations.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

HEARTBEAT_DIR = "CARREFOUR_WORKER_HEARTBEAT_DIR"  # set by the supervisor for its workers
BEATS_PER_TIMEOUT = 4


def beat_file(folder: Path, pid: int) -> Path:
    return folder / str(pid)


async def beat(file: Path, *, every: float) -> None:
    while True:
        file.touch()
        await asyncio.sleep(every)


@asynccontextmanager
async def beating(file: Path, *, every: float) -> AsyncIterator[None]:
    """Touch ``file`` every ``every`` seconds while the block runs; removed afterwards."""
    task = asyncio.create_task(beat(file, every=every), name="heartbeat")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        file.unlink(missing_ok=True)


def with_heartbeat(app: FastAPI, file: Path, *, timeout: float) -> FastAPI:
    """``app``, beating from the end of its start-up to the start of its shutdown."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Any) -> AsyncIterator[Any]:
        async with started(inner) as state, beating(file, every=timeout / BEATS_PER_TIMEOUT):
            yield state

    app.router.lifespan_context = lifespan
    return app


@dataclass
class _Seen:
    mtime_ns: int | None  # None: the worker has not beaten yet
    at: float  # time.monotonic() when the supervisor saw it so


class HeartbeatWatch:
    """The supervisor's view of its workers' heartbeats. A worker is overdue once silent for
    ``timeout`` seconds; before its first beat (importing the hub, starting it) it is given
    ``startup`` seconds, or ``timeout`` if longer."""

    def __init__(self, folder: Path, *, timeout: float, startup: float) -> None:
        self.folder = folder
        self.timeout = timeout
        self.startup = max(startup, timeout)
        self._seen: dict[int, _Seen] = {}

    def overdue(self, pid: int) -> float | None:
        """How long the worker has been silent, if that is beyond its allowance."""
        now = time.monotonic()
        mtime_ns = self._mtime_ns(pid)
        seen = self._seen.setdefault(pid, _Seen(mtime_ns, now))
        if mtime_ns != seen.mtime_ns:
            seen.mtime_ns, seen.at = mtime_ns, now
        allowance = self.startup if seen.mtime_ns is None else self.timeout
        silent = now - seen.at
        return silent if silent > allowance else None

    def forget(self, pid: int) -> None:
        self._seen.pop(pid, None)
        beat_file(self.folder, pid).unlink(missing_ok=True)

    def keep(self, pids: Iterable[int]) -> None:
        """Forget the workers not in ``pids`` (retired by a restart or a smaller pool)."""
        for pid in set(self._seen) - set(pids):
            self.forget(pid)

    def _mtime_ns(self, pid: int) -> int | None:
        try:
            return beat_file(self.folder, pid).stat().st_mtime_ns
        except FileNotFoundError:
            return None
