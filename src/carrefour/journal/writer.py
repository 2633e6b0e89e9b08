"""Group commit: many concurrent requests, one transaction per batch of journal entries.

Requests ``await writer.record(entry)``; a background task takes everything waiting (up to
``batch_max``), appends it to the chain in one transaction on a dedicated thread, and only once
that transaction has committed does each ``record`` return its sequence number. While a batch
is being written the next one gathers, so the batch size follows the load. When the database
cannot be written every waiting ``record`` raises :class:`~carrefour.errors.JournalUnavailable`:
nothing pretends to succeed, and a reply never leaves before its entry is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from carrefour.db import write_turn
from carrefour.errors import JournalUnavailable
from carrefour.journal.chain import append
from carrefour.journal.entries import JournalEntry

log = logging.getLogger(__name__)

UNAVAILABLE = "The journal could not be written; the exchange was not carried out."

Outcome = int | Exception


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: JournalEntry
    future: asyncio.Future[int]


class JournalWriter:
    """Journals entries from concurrent requests, many per transaction."""

    def __init__(self, engine: Engine, *, batch_max: int = 512) -> None:
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        self._engine = engine
        self._batch_max = batch_max
        self._queue: deque[_Pending] = deque()
        self._wakeup: asyncio.Event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._stopping

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the journal writer is already running")
        # A thread of its own: journal writes never queue behind other work sent to threads.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-writer")
        self._stopping = False
        self._wakeup = asyncio.Event()  # bound to the running loop on first use
        self._task = asyncio.create_task(self._run(), name="journal-writer")

    async def stop(self) -> None:
        """Write everything already recorded, then stop. Later ``record`` calls fail."""
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

    async def record(self, entry: JournalEntry) -> int:
        """The entry's sequence number, once the transaction holding it has committed."""
        if not self.running:
            raise JournalUnavailable("The journal writer is not running.")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(entry, future))
        self._wakeup.set()
        # A cancelled caller cancels only its wait: the entry is journaled all the same.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        batch: list[_Pending] = []
        try:
            while self._queue or not self._stopping:
                if not self._queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                size = min(len(self._queue), self._batch_max)
                batch = [self._queue.popleft() for _ in range(size)]
                _settle(batch, await self._write(batch))
        finally:  # cancelled, or a bug: no waiting request may hang or believe it succeeded
            leftovers = [*batch, *self._queue]
            self._queue.clear()
            _settle(leftovers, [RuntimeError("the journal writer stopped")] * len(leftovers))

    async def _write(self, batch: Sequence[_Pending]) -> list[Outcome]:
        entries = [pending.entry for pending in batch]
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, write_batch, self._engine, entries)
        except Exception as error:
            return [error] * len(batch)


def _settle(batch: Sequence[_Pending], outcomes: Sequence[Outcome]) -> None:
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.future.done():
            continue
        if isinstance(outcome, int):
            pending.future.set_result(outcome)
        else:
            failure = JournalUnavailable(UNAVAILABLE)
            failure.__cause__ = outcome
            pending.future.set_exception(failure)


def write_batch(engine: Engine, entries: Sequence[JournalEntry]) -> list[Outcome]:
    """Append ``entries`` in one transaction; never raises, one outcome per entry.

    When the batch fails because of one of its entries (a duplicate ticket, a value the
    database refuses), the entries are retried one by one so that only that one fails.
    """
    try:
        return list(_commit(engine, entries))
    except Exception as error:
        if len(entries) == 1 or _is_connection_error(error):
            log.error("journal batch of %d entries failed", len(entries), exc_info=error)
            return [error] * len(entries)
        log.warning("journal batch failed; retrying its entries one by one", exc_info=error)
        return [outcome for entry in entries for outcome in write_batch(engine, [entry])]


def record_now(engine: Engine, entry: JournalEntry) -> int:
    """Journal one entry in its own transaction (CLI and administration tools)."""
    outcome = write_batch(engine, [entry])[0]
    if isinstance(outcome, Exception):
        raise JournalUnavailable(UNAVAILABLE) from outcome
    return outcome


def _commit(engine: Engine, entries: Sequence[JournalEntry]) -> list[int]:
    with write_turn(engine), engine.begin() as connection:
        return append(connection, entries)


def _is_connection_error(error: Exception) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (OperationalError, InterfaceError))
