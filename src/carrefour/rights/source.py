"""The rights held as a source inside the hub (a :class:`LocalSource`): ``derived-rights``,
the rights the person's household (or the person) holds on a date, as told to the granting
institutions. An institution of a kind that grants rights (the STIB) reads only the rights its
kind grants: the others would tell it about its customer's household or other statuses."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, select

from carrefour.db import reading
from carrefour.directory.cache import ReferenceCache
from carrefour.errors import InvalidInput, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss
from carrefour.rights.domain import RuleSet
from carrefour.rights.grants import DERIVED_RIGHTS
from carrefour.rights.tables import granted
from carrefour.statuses import repository
from carrefour.statuses.source import parameter_day


class RightsSource:
    services = frozenset({DERIVED_RIGHTS})

    def __init__(self, engine: Engine, today: Callable[[], dt.date] = dt.date.today, *,
                 rules: RuleSet | None = None, reference: ReferenceCache | None = None) -> None:
        self._engine = reading(engine)  # answers read only: no write turn on SQLite
        self._today = today
        self._rules = rules
        self._reference = reference

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        if request.service not in self.services:
            raise UnknownService(f"The rights register does not answer {request.service!r}.")
        if request.niss is None:
            raise InvalidInput(f"The service {request.service} needs a NISS.")
        niss = parse_niss(request.niss).value
        day = parameter_day(request.parameters, self._today())
        answer = await asyncio.to_thread(self._rights, niss, day)
        own = await self._granted_by(request.client)
        if own is not None:
            answer.data["rights"] = [r for r in answer.data["rights"] if r["right"] in own]
        return answer

    async def _granted_by(self, client: str | None) -> set[str] | None:
        """The rights the asking institution's kind grants, when it grants any."""
        if self._rules is None or self._reference is None or client is None:
            return None
        institution = (await self._reference.current()).by_cbe.get(client)
        kind = institution.kind if institution is not None else None
        own = {r.name for r in self._rules.rules if r.granted_by == kind}
        return own or None

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
