"""The current number of a person: a replaced BIS number answers with the number that replaced
it (consultations, mutations and integrations follow it).

Only BIS numbers can have been replaced by the hub's BIS register, so a Register number costs
nothing: no read at all. A BIS number costs one primary-key read of the register (one more per
further link of a chain of merged duplicates), in a worker thread, outside any transaction
(autocommit on PostgreSQL, a read that takes no write lock on SQLite).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from carrefour.db import is_sqlite, reading
from carrefour.identification import repository
from carrefour.identification.niss import Niss, NissKind


class SuccessorReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = (
            reading(engine)
            if is_sqlite(str(engine.url))
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    async def current(self, niss: Niss) -> Niss:
        """The number that stands for the person today: ``niss`` itself unless it was replaced."""
        if niss.kind is not NissKind.BIS:
            return niss
        return await asyncio.to_thread(self._read, niss)

    def _read(self, niss: Niss) -> Niss:
        with self._engine.connect() as connection:
            found = repository.successors(connection, [niss.value])
        return Niss(found[niss.value]) if niss.value in found else niss
