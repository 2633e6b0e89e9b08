"""Group commit: many concurrent requests, one transaction per batch of journal entries.

Requests ``await writer.record(entry)``; a background task takes everything waiting (up to
``batch_max``), appends it to the chain in one transaction on a dedicated thread, and only once
that transaction has committed does each ``record`` return its sequence number. While a batch
is being written the next one gathers, so the batch size follows the load. When the database
cannot be written every waiting ``record`` raises :class:`~carrefour.errors.JournalUnavailable`:
nothing pretends to succeed, and a reply never leaves before its entry is committed. A
:class:`~carrefour.journal.sealing.Sealer`, when given, hears of each committed batch and writes
checkpoints on its own thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from carrefour.batching import GroupCommit
from carrefour.db import describe_outage, is_outage
from carrefour.errors import JournalUnavailable
from carrefour.journal.chain import UNAVAILABLE, append
from carrefour.journal.entries import JournalEntry
from carrefour.journal.sealing import Sealer
from carrefour.observability.logs import log_exchanges
from carrefour.observability.metrics import HubMetrics

log = logging.getLogger(__name__)

Outcome = int | Exception


class JournalWriter:
    """Journals entries from concurrent requests, many per transaction (``gather_for``: how
    long a batch waits for more entries, see :mod:`carrefour.batching`)."""

    def __init__(
        self, engine: Engine, *, batch_max: int = 512, sealer: Sealer | None = None,
        metrics: HubMetrics | None = None, gather_for: float = 0.0,
    ) -> None:
        self._engine = engine
        self._sealer = sealer
        self._metrics = metrics
        self._batches: GroupCommit[JournalEntry, int] = GroupCommit(
            name="journal-writer",
            write=self._write,
            unavailable=lambda _detail: JournalUnavailable(UNAVAILABLE),
            batch_max=batch_max,
            gather_for=gather_for,
        )
        self.last_failure: str | None = None  # why the last batch could not be written

    @property
    def running(self) -> bool:
        return self._batches.running

    async def start(self) -> None:
        await self._batches.start()

    async def stop(self) -> None:
        """Write everything already recorded, then stop. Later ``record`` calls fail."""
        await self._batches.stop()

    async def record(self, entry: JournalEntry) -> int:
        """The entry's sequence number, once the transaction holding it has committed."""
        return await self._batches.submit(entry)

    async def _write(self, entries: list[JournalEntry]) -> list[Outcome]:
        started = time.perf_counter()
        outcomes = await self._batches.in_thread(write_batch, self._engine, entries)
        self.last_failure = _outage(outcomes)
        committed = [e for e, o in zip(entries, outcomes, strict=True) if isinstance(o, int)]
        if self._metrics is not None:
            self._metrics.journal_committed(
                size=len(entries), seconds=time.perf_counter() - started,
                entries=[(e.channel, e.action, e.outcome) for e in committed],
            )
        log_exchanges(committed)
        if self._sealer is not None:
            seqs = [outcome for outcome in outcomes if isinstance(outcome, int)]
            if seqs:
                self._sealer.committed(max(seqs))  # sets a flag at most: sealing is elsewhere
        return outcomes


def write_batch(engine: Engine, entries: Sequence[JournalEntry]) -> list[Outcome]:
    """Append ``entries`` in one transaction; never raises, one outcome per entry.

    When the batch fails because of one of its entries (a duplicate ticket, a value the
    database refuses), the entries are retried one by one so that only that one fails.
    """
    try:
        return list(_commit(engine, entries))
    except Exception as error:
        if is_outage(error):
            log.error("journal batch of %d entries failed: the database is unavailable (%s)",
                      len(entries), describe_outage(error))
            return [error] * len(entries)
        if len(entries) == 1:
            log.error("journal batch of %d entries failed", len(entries), exc_info=error)
            return [error] * len(entries)
        log.warning("journal batch failed; retrying its entries one by one", exc_info=error)
        return [outcome for entry in entries for outcome in write_batch(engine, [entry])]


def _outage(outcomes: Sequence[Outcome]) -> str | None:
    """The database's fault, when it is why no entry of a batch could be written."""
    if any(isinstance(outcome, int) for outcome in outcomes):
        return None
    failure = next((o for o in outcomes if isinstance(o, Exception) and is_outage(o)), None)
    return None if failure is None else f"the database is unavailable ({describe_outage(failure)})"


def record_now(engine: Engine, entry: JournalEntry) -> int:
    """Journal one entry in its own transaction (CLI and administration tools)."""
    outcome = write_batch(engine, [entry])[0]
    if isinstance(outcome, Exception):
        raise JournalUnavailable(UNAVAILABLE) from outcome
    return outcome


def _commit(engine: Engine, entries: Sequence[JournalEntry]) -> list[int]:
    with engine.begin() as connection:
        return append(connection, entries)
