"""Routing: which source institutions hold the data a service needs for a person. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from carrefour.catalogue.model import Service
from carrefour.directory.domain import Availability, Institution, Integration
from carrefour.errors import NoSource
from carrefour.identification.niss import NissKind


def route(
    service: Service,
    *,
    niss_kind: NissKind | None,
    availability: Mapping[tuple[str, str], Availability],
    sources_by_kind: Mapping[str, Sequence[Institution]],
    integrations: Sequence[Integration],
    today: dt.date,
) -> list[Institution]:
    """The sources to ask: for each kind of source of the service that the availability table
    lists, either every institution of that kind (an authentic source for everyone) or only those
    holding an active file on the person with one of the listed quality codes."""
    chosen: list[Institution] = []
    for spec in service.sources_for(niss_kind):
        row = availability.get((service.name, spec.kind))
        if row is None:
            continue
        candidates = sources_by_kind.get(spec.kind, ())
        if row.quality_codes is None:
            chosen.extend(candidates)
        else:
            chosen.extend(_holding_a_file(candidates, row.quality_codes, integrations, today))
    if not chosen:
        raise NoSource(
            f"No authentic source holds data for the service '{service.name}' on this person."
        )
    return chosen


def _holding_a_file(
    candidates: Sequence[Institution],
    codes: frozenset[int],
    integrations: Sequence[Integration],
    today: dt.date,
) -> list[Institution]:
    holders = {
        i.institution_id for i in integrations if i.quality_code in codes and i.active_on(today)
    }
    return [c for c in candidates if c.id in holders]
