"""The deliberately slow work of checking client secrets, kept off the request path.

- :class:`SecretHasher`: argon2id hashes (argon2-cffi's defaults). An unknown client id is
  checked against a dummy hash of the same parameters, so that it costs what a known id costs
  and answer times do not tell which client ids exist.
- :class:`HashPool`: a few threads of its own (not the default thread pool that the hub's
  database work uses), bounded: per lane and standing at most ``threads`` attempts are checked
  and ``queue`` wait; an attempt beyond that is refused at once with
  :class:`~carrefour.errors.AuthenticationBusy`. Known clients go first; suspect attempts
  (recent failures) are checked apart, at the lowest CPU priority, so that a flood of wrong
  secrets leaves the CPU to the event loop, the exchanges and everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import queue as queue_module
import secrets
import sys
import threading
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from carrefour.errors import AuthenticationBusy

T = TypeVar("T")


class SecretHasher:
    """Hashes and checks client secrets; never raises on a wrong or malformed hash."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, secret_hash: str | None, secret: str) -> bool:
        """Whether ``secret`` matches ``secret_hash``; ``None`` (an unknown client) checks
        the dummy hash, which costs the same and never matches."""
        target = self.dummy() if secret_hash is None else secret_hash
        try:
            matched = self._hasher.verify(target, secret)
        except (VerificationError, InvalidHashError):
            return False
        return matched and secret_hash is not None

    def dummy(self) -> str:
        """A hash of a random secret nobody knows, made once with the hasher's parameters."""
        with self._lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(24))
            return self._dummy


class Standing(IntEnum):
    """How an attempt is queued for its check (see :meth:`FailureThrottle.standing`)."""

    KNOWN = 0  # its client id authenticated from its address before: checked first
    CLEAN = 1  # nothing known against it: checked after the known ones
    SUSPECT = 2  # its client id or address failed recently: the suspects' lane


class HashPool:
    """Runs hash work on a few dedicated threads, refusing work beyond a bounded queue.

    Two lanes. The main lane (``threads`` threads, normal priority) checks known clients
    first, then clean attempts; each of the two has its own bound of ``threads + queue``
    attempts running or waiting, so strangers cannot keep a known client out. Suspect attempts
    (their client id or address failed within the throttle's window) have a lane of their own:
    one thread at the lowest CPU priority, on one CPU (Linux: nice 19 and an affinity of one
    CPU, which its argon2 lane threads inherit), busy at most a quarter of the time. A flood of
    wrong secrets fills only the suspects' lane, and its hash work leaves the CPU to the event
    loop, the exchanges and everyone else's checks."""

    def __init__(self, *, threads: int = 1, queue: int = 8) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("a hash pool needs at least one thread and a queue of 0 or more")
        self._main = _Lane("main", threads, queue)
        self._suspects = _Lane("suspect", 1, queue, niceness=SUSPECT_NICENESS, one_cpu=True,
                               duty=SUSPECT_DUTY)

    @property
    def in_flight(self) -> int:
        return self._main.in_flight + self._suspects.in_flight

    async def run(
        self, work: Callable[..., T], *args: object, standing: Standing = Standing.CLEAN
    ) -> T:
        lane = self._suspects if standing is Standing.SUSPECT else self._main
        return await lane.run(work, args, rank=int(standing))

    def close(self) -> None:
        self._main.close()
        self._suspects.close()


SUSPECT_NICENESS = 19
SUSPECT_DUTY = 0.25  # the suspects' thread rests three times as long as each check took


class _Lane:
    def __init__(
        self, name: str, threads: int, queue: int, *, niceness: int = 0, one_cpu: bool = False,
        duty: float = 1.0,
    ) -> None:
        self._name, self._threads, self._duty = name, threads, duty
        self._niceness, self._one_cpu = niceness, one_cpu
        self.capacity = threads + queue  # per rank: running and waiting
        self._pending: dict[int, int] = {}  # per rank; changed on the event loop's thread
        self._jobs: queue_module.PriorityQueue[tuple[int, int, _Job | None]] = (
            queue_module.PriorityQueue()
        )
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []

    @property
    def in_flight(self) -> int:
        return sum(self._pending.values())

    async def run(self, work: Callable[..., T], args: tuple[object, ...], *, rank: int) -> T:
        if self._pending.get(rank, 0) >= self.capacity:
            raise AuthenticationBusy(
                "Too many credential checks are waiting; try again in a second.", retry_after=1
            )
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending[rank] = self._pending.get(rank, 0) + 1  # until done, even if the caller
        done = functools.partial(self._done, rank)  # went away meanwhile
        self._jobs.put((rank, next(self._order), _Job(work, args, loop, future, done=done)))
        return await future

    def _done(self, rank: int) -> None:
        self._pending[rank] -= 1

    def _start(self) -> None:
        """Threads start with the first check (a hub that never checks a secret has none)."""
        while len(self._workers) < self._threads:
            worker = threading.Thread(
                target=self._serve, daemon=True,
                name=f"carrefour-hash-{self._name}-{len(self._workers)}",
            )
            worker.start()
            self._workers.append(worker)

    def _serve(self) -> None:
        _confine(niceness=self._niceness, one_cpu=self._one_cpu)
        while (job := self._jobs.get()[2]) is not None:
            started = time.perf_counter()
            job.run()
            if self._duty < 1.0:  # bound the CPU this lane takes, however long its queue
                time.sleep((time.perf_counter() - started) * (1 / self._duty - 1))

    def close(self) -> None:
        for _ in self._workers:
            self._jobs.put((-1, next(self._order), None))
        self._workers.clear()


class _Job:
    """One check, and how to hand its outcome back to the event loop that waits for it."""

    def __init__(self, work: Callable[..., Any], args: tuple[object, ...],
                 loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], *,
                 done: Callable[[], None]) -> None:
        self._work, self._args, self._loop, self._future = work, args, loop, future
        self._done = done

    def run(self) -> None:
        try:
            result = self._work(*self._args)
        except BaseException as error:  # handed to the waiting coroutine, raised there
            self._hand_back(error=error)
        else:
            self._hand_back(result=result)

    def _hand_back(self, *, result: Any = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            self._done()
            if self._future.done():  # the caller went away (disconnected, cancelled)
                return
            if error is not None:
                self._future.set_exception(error)
            else:
                self._future.set_result(result)

        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(settle)


def _confine(*, niceness: int, one_cpu: bool) -> None:
    """Lower the calling thread's CPU priority, and keep it on one CPU of several (leaving
    the others to the hub); the argon2 lane threads it starts inherit both. On Linux ``nice``
    and ``sched_setaffinity(0, ...)`` apply to the calling thread only."""
    if not sys.platform.startswith("linux"):
        return
    if niceness:
        with contextlib.suppress(OSError):  # a sandbox may forbid it: normal priority then
            os.nice(niceness)
    if one_cpu:
        with contextlib.suppress(OSError):
            cpus = os.sched_getaffinity(0)
            if len(cpus) > 1:
                os.sched_setaffinity(0, {max(cpus)})
