"""What a consultation answers when its sources fail, and how many items a search answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from carrefour.catalogue.model import Service
from carrefour.errors import SourceTimeout, SourceUnavailable, UnknownPerson
from carrefour.exchange.gateway import SourceOutcome, Status

MAX_RESULTS = "max_results"


def raise_for_nothing(outcomes: Sequence[SourceOutcome], failed: Sequence[SourceOutcome]) -> None:
    if not failed:
        raise UnknownPerson("No authentic source holds data on this person for this service.")
    names = ", ".join(f"{o.institution.name_fr} ({o.detail})" for o in failed)
    if all(o.status is Status.TIMEOUT for o in failed) and len(failed) == len(outcomes):
        raise SourceTimeout(f"The authentic source did not answer in time: {names}.")
    raise SourceUnavailable(f"The authentic source could not answer: {names}.")


def limit_collection(
    service: Service, data: dict[str, Any], parameters: Mapping[str, Any]
) -> None:
    """At most ``max_results`` items (default 20) for a service that takes that parameter
    (the searches); a service without it answers every item."""
    if service.collection and isinstance(data.get(service.collection), list) and any(
        p.name == MAX_RESULTS for p in service.parameters
    ):
        limit = int(parameters.get(MAX_RESULTS, 20))
        data[service.collection] = data[service.collection][:limit]
