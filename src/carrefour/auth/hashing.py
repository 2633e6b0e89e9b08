"""The deliberately slow work of checking client secrets, kept off the request path.

- :class:`SecretHasher`: argon2id hashes (argon2-cffi's defaults). An unknown client id is
  checked against a dummy hash of the same parameters, so that it costs what a known id costs
  and answer times do not tell which client ids exist.
- :class:`HashPool`: a few threads of its own (not the default thread pool that the hub's
  database work uses), bounded: per lane (known clients, strangers) at most its threads check
  and ``queue`` attempts wait; an attempt beyond that is refused at once with
  :class:`~carrefour.errors.AuthenticationBusy`. Strangers' attempts are checked at the
  lowest CPU priority, so that a flood of wrong secrets leaves the CPU to the event loop, the
  exchanges and the clients already known.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue as queue_module
import secrets
import sys
import threading
from collections.abc import Callable
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


class HashPool:
    """Runs hash work on a few dedicated threads, refusing work beyond a bounded queue.

    Two lanes, each with its threads, its queue and its bound: *known* clients (their client
    id authenticated from their address before) on ``threads`` threads at normal priority, and
    everyone else on one thread of its own at the lowest CPU priority (Linux: nice 19, which
    its argon2 lane threads inherit). A flood of wrong secrets fills only the strangers' lane,
    and its hash work yields the CPU to the event loop, the exchanges and known clients."""

    def __init__(self, *, threads: int = 1, queue: int = 8) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("a hash pool needs at least one thread and a queue of 0 or more")
        self._lanes = (_Lane("known", threads, queue, niceness=0),
                       _Lane("stranger", 1, queue, niceness=STRANGER_NICENESS))

    @property
    def in_flight(self) -> int:
        return sum(lane.pending for lane in self._lanes)

    async def run(self, work: Callable[..., T], *args: object, known: bool = False) -> T:
        return await self._lanes[0 if known else 1].run(work, *args)

    def close(self) -> None:
        for lane in self._lanes:
            lane.close()


STRANGER_NICENESS = 19


class _Lane:
    def __init__(self, name: str, threads: int, queue: int, *, niceness: int) -> None:
        self._name, self._threads, self._niceness = name, threads, niceness
        self.capacity = threads + queue  # running and waiting
        self.pending = 0  # changed on the event loop's thread only
        self._jobs: queue_module.SimpleQueue[_Job | None] = queue_module.SimpleQueue()
        self._workers: list[threading.Thread] = []

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self.pending >= self.capacity:
            raise AuthenticationBusy(
                "Too many credential checks are waiting; try again in a second.", retry_after=1
            )
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.pending += 1
        try:
            self._jobs.put(_Job(work, args, loop, future))
            return await future
        finally:
            self.pending -= 1

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
        _lower_priority(self._niceness)
        while (job := self._jobs.get()) is not None:
            job.run()

    def close(self) -> None:
        for _ in self._workers:
            self._jobs.put(None)
        self._workers.clear()


class _Job:
    """One check, and how to hand its outcome back to the event loop that waits for it."""

    def __init__(self, work: Callable[..., Any], args: tuple[object, ...],
                 loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self._work, self._args, self._loop, self._future = work, args, loop, future

    def run(self) -> None:
        try:
            result = self._work(*self._args)
        except BaseException as error:  # handed to the waiting coroutine, raised there
            self._hand_back(error=error)
        else:
            self._hand_back(result=result)

    def _hand_back(self, *, result: Any = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if self._future.done():  # the caller went away (disconnected, cancelled)
                return
            if error is not None:
                self._future.set_exception(error)
            else:
                self._future.set_result(result)

        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(settle)


def _lower_priority(niceness: int) -> None:
    """On Linux ``nice`` applies to the calling thread only (and to the threads it starts)."""
    if niceness and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # a sandbox may forbid it: normal priority then
            os.nice(niceness)
