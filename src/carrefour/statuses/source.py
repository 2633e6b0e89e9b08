"""The status buffer as an authentic source inside the hub (a :class:`LocalSource`):
``harmonised-statuses``, a person's statuses (or those of every member of the person's
household) on a date, with their provenance. The consultation pipeline has checked the
asking institution (its file on the person, the deliberation) and keeps only the fields
granted."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from carrefour.db import reading
from carrefour.errors import InvalidInput, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss
from carrefour.statuses import repository

HARMONISED_STATUSES = "harmonised-statuses"


class StatusBufferSource:
    services = frozenset({HARMONISED_STATUSES})

    def __init__(self, engine: Engine, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._engine = reading(engine)  # answers read only: no write turn on SQLite
        self._today = today

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        if request.service not in self.services:
            raise UnknownService(f"The status buffer does not answer {request.service!r}.")
        if request.niss is None:
            raise InvalidInput(f"The service {request.service} needs a NISS.")
        niss = parse_niss(request.niss).value
        day = parameter_day(request.parameters, self._today())
        household = request.parameters.get("scope", "person") == "household"
        return await asyncio.to_thread(self._statuses, niss, day, household)

    def _statuses(self, niss: str, day: dt.date, household: bool) -> SourceAnswer:
        with self._engine.connect() as connection:
            place = repository.household_on(connection, niss, day)
            members = [niss]
            if household and place is not None:
                members = repository.members_on(connection, place.household_id, day) or [niss]
            periods = repository.periods_of(connection, members)
        items = [{"niss": p.niss, "household_id": place.household_id if place else None,
                  **p.as_dict()} for p in periods if p.active_on(day)]
        return SourceAnswer(found=bool(items) or place is not None, data={"statuses": items})


def parameter_day(parameters: Mapping[str, Any], today: dt.date) -> dt.date:
    raw = parameters.get("date")
    if raw is None:
        return today
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput("The parameter date must be a date (YYYY-MM-DD).") from None
