"""Group commit: many concurrent callers, one database transaction per batch.

Callers ``await batcher.submit(item)``; a background task takes everything waiting (up to
``batch_max``) and hands it to the owner's ``write`` coroutine, which stores the batch in one
transaction (on the batcher's own thread, through :meth:`GroupCommit.in_thread`) and returns
one outcome per item. Only then does each caller get its result — or, when its outcome is an
exception, the error ``unavailable(detail)`` with that exception as its cause. While a batch
is being written the next one gathers, so batches grow with the load. Used by the journal and
by the intake of mutations.

``gather_for``: seconds a batch waits, once its first item has come, for others to join it. A
batch has a fixed cost (a transaction, a commit that reaches the disk) that a steady load
below the writer's limit would otherwise pay for nearly every item: at 1,000 consultations a
second the journal wrote batches of one or two entries, and that fixed cost was a third of
the hub's CPU.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Pending(Generic[Item, Out]):
    item: Item
    future: asyncio.Future[Out]


class GroupCommit(Generic[Item, Out]):
    def __init__(
        self,
        *,
        name: str,
        write: Callable[[list[Item]], Awaitable[Sequence[Out | Exception]]],
        unavailable: Callable[[str], Exception],
        batch_max: int = 512,
        gather_for: float = 0.0,
    ) -> None:
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        if gather_for < 0:
            raise ValueError("gather_for cannot be negative")
        self._gather_for = gather_for
        self._name = name
        self._write = write
        self._unavailable = unavailable
        self._batch_max = batch_max
        self._queue: deque[_Pending[Item, Out]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._stopping

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError(f"the {self._name} is already running")
        # A thread of its own: batches never queue behind other work sent to threads.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        self._stopping = False
        self._wakeup = asyncio.Event()  # bound to the running loop on first use
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Write everything already submitted, then stop. Later submissions fail."""
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await self._task
        finally:
            self._task = None
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    async def submit(self, item: Item) -> Out:
        """The item's outcome, once the transaction holding it has committed."""
        if not self.running:
            raise self._unavailable(f"the {self._name} is not running")
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(item, future))
        self._wakeup.set()
        # A cancelled caller cancels only its wait: the item is stored all the same.
        return await asyncio.shield(future)

    async def in_thread(self, function: Callable[..., R], *args: Any) -> R:
        """Run blocking database work on the batcher's own thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _run(self) -> None:
        batch: list[_Pending[Item, Out]] = []
        try:
            while self._queue or not self._stopping:
                if not self._queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                if self._gather_for and len(self._queue) < self._batch_max and not self._stopping:
                    await asyncio.sleep(self._gather_for)
                size = min(len(self._queue), self._batch_max)
                batch = [self._queue.popleft() for _ in range(size)]
                self._settle(batch, await self._outcomes(batch))
                batch = []
        finally:  # cancelled, or a bug: no caller may hang or believe it succeeded
            leftovers = [*batch, *self._queue]
            self._queue.clear()
            stopped = RuntimeError(f"the {self._name} stopped")
            self._settle(leftovers, [stopped] * len(leftovers))

    async def _outcomes(self, batch: Sequence[_Pending[Item, Out]]) -> Sequence[Out | Exception]:
        try:
            return await self._write([pending.item for pending in batch])
        except Exception as error:
            return [error] * len(batch)

    def _settle(
        self, batch: Sequence[_Pending[Item, Out]], outcomes: Sequence[Out | Exception]
    ) -> None:
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue
            if isinstance(outcome, Exception):
                failure = self._unavailable(str(outcome))
                failure.__cause__ = outcome
                pending.future.set_exception(failure)
            else:
                pending.future.set_result(outcome)
