"""Group commit of intakes: many sources publishing at once, one transaction per batch.

Each waiting publication is stored with its outbox rows and its journal entry; the whole batch
commits at once, and only then does each publisher get its answer (and the delivery workers
their wake-up call). A batch that fails is retried one intake at a time, so that one bad
intake fails alone; nothing of a failed intake is stored. An intake the hub refuses while
storing it (a replacement the BIS register cannot apply) is answered with that refusal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from carrefour.batching import GroupCommit
from carrefour.db import describe_outage, is_outage
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.errors import CarrefourError, JournalUnavailable
from carrefour.signal.repository import Applier, Intake, Published, store_intakes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refused:
    """An intake refused while it was being stored; nothing of it was kept."""

    error: CarrefourError


Outcome = Published | Refused | Exception
UNAVAILABLE = "The mutation could not be stored; nothing was kept."


class IntakeQueue:
    def __init__(
        self,
        engine: Engine,
        reference: ReferenceCache,
        *,
        today: Callable[[], dt.date],
        on_commit: Callable[[], None],
        appliers: Mapping[str, Applier] | None = None,
        batch_max: int = 256,
    ) -> None:
        self._engine = engine
        self._reference = reference
        self._today = today
        self._on_commit = on_commit
        self._appliers = dict(appliers or {})
        self._batches: GroupCommit[Intake, Published | Refused] = GroupCommit(
            name="signal-intake",
            write=self._write,
            unavailable=lambda _detail: JournalUnavailable(UNAVAILABLE),
            batch_max=batch_max,
        )

    async def start(self) -> None:
        await self._batches.start()

    async def stop(self) -> None:
        await self._batches.stop()

    async def submit(self, intake: Intake) -> Published:
        """The intake's outcome, once the transaction holding it has committed."""
        outcome = await self._batches.submit(intake)
        if isinstance(outcome, Refused):
            raise outcome.error
        return outcome

    async def _write(self, intakes: list[Intake]) -> list[Outcome]:
        snapshot = await self._reference.current()
        outcomes = await self._batches.in_thread(self._store, snapshot, intakes)
        self._on_commit()
        return outcomes

    def _store(self, snapshot: ReferenceSnapshot, intakes: Sequence[Intake]) -> list[Outcome]:
        try:
            with self._engine.begin() as connection:
                return list(
                    store_intakes(
                        connection,
                        intakes,
                        snapshot=snapshot,
                        today=self._today(),
                        now=dt.datetime.now(dt.UTC),
                        appliers=self._appliers,
                    )
                )
        except CarrefourError as error:
            if len(intakes) == 1:
                return [Refused(error)]
            return [o for intake in intakes for o in self._store(snapshot, [intake])]
        except Exception as error:
            if is_outage(error):  # one line: the fault is the database's
                log.error("storing %d mutations failed: the database is unavailable (%s)",
                          len(intakes), describe_outage(error))
                return [error] * len(intakes)
            if len(intakes) == 1:
                log.error("storing a mutation failed", exc_info=error)
                return [error]
            return [o for intake in intakes for o in self._store(snapshot, [intake])]

