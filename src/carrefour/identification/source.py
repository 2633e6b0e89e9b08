"""The BIS register as an authentic source inside the hub (a :class:`LocalSource`).

It answers the legal data of a BIS person (``identify-person``, alias ``legal-data``), the
phonetic search (``search-person``) and the history of a number (``niss-history``). The database
work runs in a worker thread so that the hub's event loop never waits on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from carrefour.db import reading
from carrefour.errors import InvalidInput, UnknownPerson, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.history import as_record
from carrefour.identification.niss import Niss, parse_niss
from carrefour.identification.person import BisPerson
from carrefour.identification.register import get_bis_person, niss_history, search_bis_persons
from carrefour.identification.search import parse_search_criteria


class BisRegisterSource:
    """Answers the identification services from the hub's BIS register."""

    def __init__(self, engine: Engine) -> None:
        self._engine = reading(engine)  # answers read only: no write turn on SQLite
        self._services: dict[str, Callable[[SourceRequest], SourceAnswer]] = {
            "identify-person": self._identify,
            "legal-data": self._identify,
            "search-person": self._search,
            "niss-history": self._history,
        }

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self._services)

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        service = self._services.get(request.service)
        if service is None:
            raise UnknownService(f"The BIS register does not answer {request.service!r}.")
        return await asyncio.to_thread(service, request)

    def _identify(self, request: SourceRequest) -> SourceAnswer:
        try:
            person = get_bis_person(self._engine, _requested_niss(request))
        except UnknownPerson:
            return SourceAnswer(found=False)
        return SourceAnswer(found=True, data=legal_data(person))

    def _search(self, request: SourceRequest) -> SourceAnswer:
        persons = search_bis_persons(self._engine, parse_search_criteria(request.parameters))
        return SourceAnswer(found=bool(persons), data={"persons": [legal_data(p) for p in persons]})

    def _history(self, request: SourceRequest) -> SourceAnswer:
        history = niss_history(self._engine, _requested_niss(request))
        return SourceAnswer(found=bool(history), data={"history": [as_record(r) for r in history]})


def legal_data(person: BisPerson) -> dict[str, Any]:
    """The legal data of a BIS person, with the keys the National Register uses."""
    data = person.data
    return {
        "niss": person.niss.value,
        "last_name": data.last_name,
        "first_names": list(data.first_names),
        "birth_date": str(data.birth_date),
        "birth_place": data.birth_place,
        "gender": data.gender.value,
        "nationality": data.nationality,
        "civil_state": data.civil_state,
        "address": None if data.address is None else dict(data.address),
        "death_date": None if data.death_date is None else str(data.death_date),
    }


def _requested_niss(request: SourceRequest) -> Niss:
    if request.niss is None:
        raise InvalidInput(f"The service {request.service} needs a NISS.")
    return parse_niss(request.niss)
