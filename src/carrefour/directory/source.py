"""The person directory as an authentic source inside the hub (a :class:`LocalSource`): a
person's active files, for ``person-integrations`` ("known elsewhere?").

The consultation pipeline has checked the asking institution (its own file on the person,
the deliberation) before asking; the answer holds every active file, and the pipeline keeps
the files and fields the deliberation grants, sector by sector.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Engine

from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution, Integration
from carrefour.directory.services import integrations_of
from carrefour.errors import InvalidInput, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss

PERSON_INTEGRATIONS = "person-integrations"


class PersonDirectorySource:
    """Answers ``person-integrations`` from the hub's person directory."""

    services = frozenset({PERSON_INTEGRATIONS})

    def __init__(
        self,
        engine: Engine,
        reference_cache: ReferenceCache,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._today = today

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        if request.service not in self.services:
            raise UnknownService(f"The person directory does not answer {request.service!r}.")
        if request.niss is None:
            raise InvalidInput(f"The service {request.service} needs a NISS.")
        niss = parse_niss(request.niss)
        snapshot = await self._reference.current()
        rows = await asyncio.to_thread(integrations_of, self._engine, niss.value)
        files = person_files(rows, snapshot.institutions, client=request.client,
                             today=self._today())
        return SourceAnswer(found=True, data={"integrations": files})


def person_files(
    integrations: Iterable[Integration],
    institutions: Mapping[int, Institution],
    *,
    client: str | None,
    today: dt.date,
) -> list[dict[str, Any]]:
    """The active files on the person, with every field of the service; ``own`` says which
    are the asking institution's (``client``, a CBE number)."""
    files = []
    for integration in integrations:
        holder = institutions.get(integration.institution_id)
        if holder is None or not integration.active_on(today):
            continue
        files.append({
            "sector": holder.sector,
            "quality_code": integration.quality_code,
            "start": integration.starts_on.isoformat(),
            "end": None if integration.ends_on is None else integration.ends_on.isoformat(),
            "institution": holder.cbe,
            "institution_name": holder.name_fr,
            "own": holder.cbe == client,
        })
    return files
