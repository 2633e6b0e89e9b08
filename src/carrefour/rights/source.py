"""The rights held as a source inside the hub (a :class:`LocalSource`): ``derived-rights``,
the rights the person's household (or the person) holds on a date, as told to the granting
institutions."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, select

from carrefour.errors import InvalidInput, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss
from carrefour.rights.grants import DERIVED_RIGHTS
from carrefour.rights.tables import granted
from carrefour.statuses import repository
from carrefour.statuses.source import parameter_day


class RightsSource:
    services = frozenset({DERIVED_RIGHTS})

    def __init__(self, engine: Engine, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._engine = engine
        self._today = today

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        if request.service not in self.services:
            raise UnknownService(f"The rights register does not answer {request.service!r}.")
        if request.niss is None:
            raise InvalidInput(f"The service {request.service} needs a NISS.")
        niss = parse_niss(request.niss).value
        day = parameter_day(request.parameters, self._today())
        return await asyncio.to_thread(self._rights, niss, day)

    def _rights(self, niss: str, day: dt.date) -> SourceAnswer:
        with self._engine.connect() as connection:
            place = repository.household_on(connection, niss, day)
            keys = [f"person:{niss}", place.household_id if place else f"person-{niss}"]
            rows = connection.execute(select(granted).where(
                granted.c.household_id.in_(keys), granted.c.active.is_(True),
                granted.c.since <= day)).mappings().all()
        items = [{"right": r["right_name"], "household_id": r["household_id"],
                  "start": r["since"].isoformat()} for r in rows]
        return SourceAnswer(found=True, data={"rights": items})
