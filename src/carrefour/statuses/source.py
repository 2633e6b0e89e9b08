"""The status buffer as an authentic source inside the hub (a :class:`LocalSource`):
``harmonised-statuses``, a person's statuses (or those of every member of the person's
household) on a date, with their provenance. The consultation pipeline has checked the
asking institution (its file on the person, the deliberation) and keeps only the fields
granted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from carrefour.errors import InvalidInput, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss
from carrefour.statuses import repository

HARMONISED_STATUSES = "harmonised-statuses"


class StatusBufferSource:
    services = frozenset({HARMONISED_STATUSES})

    def __init__(self, engine: Engine, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._reads = repository.PersonReads(engine)  # no thread, no SQLAlchemy execution
        self._today = today

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        if request.service not in self.services:
            raise UnknownService(f"The status buffer does not answer {request.service!r}.")
        if request.niss is None:
            raise InvalidInput(f"The service {request.service} needs a NISS.")
        niss = parse_niss(request.niss).value
        day = parameter_day(request.parameters, self._today())
        household = request.parameters.get("scope", "person") == "household"
        return await self._statuses(niss, day, household)

    async def _statuses(self, niss: str, day: dt.date, household: bool) -> SourceAnswer:
        place = await self._reads.household_on(niss, day)
        members = [niss]
        if household and place is not None:
            members = await self._reads.members_on(place.household_id, day) or [niss]
        periods = await self._reads.periods_of(members)
        items = [{"niss": p.niss, "household_id": place.household_id if place else None,
                  **p.as_dict()} for p in periods if p.active_on(day)]
        return SourceAnswer(found=bool(items) or place is not None, data={"statuses": items})

    def close(self) -> None:
        self._reads.close()


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
