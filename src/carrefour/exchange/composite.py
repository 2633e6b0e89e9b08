"""Composite services (``parts`` in the catalogue): every part checked on its own — finality,
deliberation, routing — all the parts' sources asked at once, each part's answer cut to the
fields its deliberation grants *before* the parts are put together, and one answer with the
status of every part and of every source. Pure but for the calls, which the caller makes.

A refused part (no deliberation for this client and quality code, no source holding a file...)
does not refuse the whole: it is reported with the code of its refusal. Only when every part
is refused is the consultation refused, with the first part's reason. When no part answered
and at least one part's sources failed, the whole fails like a single-source consultation
whose source failed: ``source-timeout`` when every failed source timed out, otherwise
``source-unavailable``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carrefour.catalogue.model import Catalogue, PartCondition, Service, part_parameters
from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.domain import (
    Deliberation,
    Institution,
    Integration,
    check_finality,
    find_deliberation,
)
from carrefour.errors import CarrefourError, SourceTimeout, SourceUnavailable
from carrefour.exchange.gateway import SourceOutcome, Status
from carrefour.exchange.merge import covered, keep_granted, merge, persons_found
from carrefour.exchange.routing import route
from carrefour.identification.niss import NissKind


@dataclass(frozen=True, slots=True, kw_only=True)
class Asker:
    """Who asks, about whom, on which day: what every part is checked against."""

    institution: Institution
    capacity: int
    niss_kind: NissKind | None
    integrations: Sequence[Integration]
    today: dt.date
    parameters: Mapping[str, Any] = field(default_factory=dict)  # the composite's, checked
    birth_date: dt.date | None = None  # the key data of the person (from the NISS)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartPlan:
    service: Service
    grant: Deliberation | None = None
    targets: tuple[Institution, ...] = ()
    refusal: CarrefourError | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)  # those the part declares
    skipped: str | None = None  # why the part is not asked (its condition on the key data)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompositePlan:
    parts: tuple[PartPlan, ...]
    references: str = field(default="")

    @property
    def targets(self) -> list[tuple[PartPlan, Institution]]:
        return [(part, target) for part in self.parts for target in part.targets]


def plan(composite: Service, catalogue: Catalogue, snapshot: ReferenceSnapshot,
         asker: Asker) -> CompositePlan:
    """The checks of every part; raises the first refusal when every part is refused."""
    parts = tuple(_plan_part(catalogue.get(name), snapshot, asker, composite.condition_of(name))
                  for name in composite.parts)
    allowed = [p for p in parts if p.refusal is None]
    if not allowed:
        refusal = parts[0].refusal
        assert refusal is not None
        raise refusal
    references = "+".join(sorted({p.grant.reference for p in allowed if p.grant}))
    return CompositePlan(parts=parts, references=references)


def _plan_part(service: Service, snapshot: ReferenceSnapshot, asker: Asker,
               condition: PartCondition | None) -> PartPlan:
    if condition is not None and not condition.holds(asker.birth_date, asker.today):
        return PartPlan(service=service, skipped=condition.describe())
    try:
        if service.requires_integration:
            check_finality(asker.integrations, institution_id=asker.institution.id,
                           capacity=asker.capacity, today=asker.today)
        grant = find_deliberation(
            snapshot.deliberations_by_service.get(service.name, []),
            client_kind=asker.institution.kind, capacity=asker.capacity,
            service=service.name, today=asker.today,
        )
        targets = route(service, niss_kind=asker.niss_kind, availability=snapshot.availability,
                        sources_by_kind=snapshot.sources_by_kind,
                        integrations=asker.integrations, today=asker.today)
    except CarrefourError as refusal:
        return PartPlan(service=service, refusal=refusal)
    return PartPlan(service=service, grant=grant, targets=tuple(targets),
                    parameters=part_parameters(service, asker.parameters))


def answer(composite: CompositePlan, outcomes: Sequence[SourceOutcome]
           ) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """The status of the whole ("ok" or "partial"), the answer of every part and the persons
    its search parts returned (journaled under their own NISS), from the outcomes of
    :attr:`CompositePlan.targets` (in the same order)."""
    by_part: dict[str, list[SourceOutcome]] = {p.service.name: [] for p in composite.parts}
    for (part, _target), outcome in zip(composite.targets, outcomes, strict=True):
        by_part[part.service.name].append(outcome)
    data: dict[str, Any] = {}
    found: list[str] = []
    for part in composite.parts:
        data[part.service.name], persons = _part_answer(part, by_part[part.service.name])
        found.extend(persons)
    _raise_when_every_part_failed(composite, data)
    failed = any(d["status"] in _FAILURES for d in data.values())
    return ("partial" if failed else "ok"), data, tuple(found)


NOT_APPLICABLE = "not-applicable"  # a part whose condition on the key data does not hold
_SOURCE_FAILURES = {str(Status.UNAVAILABLE), str(Status.TIMEOUT)}
_FAILURES = {"partial", *_SOURCE_FAILURES}


def _raise_when_every_part_failed(composite: CompositePlan,
                                  data: Mapping[str, Mapping[str, Any]]) -> None:
    """No part answered (each failed at its sources, was refused or did not apply to the
    person) and some part failed: the failure of its sources, not a 200 with nothing in it."""
    statuses = {p.service.name: data[p.service.name]["status"] for p in composite.parts
                if p.refusal is None and data[p.service.name]["status"] != NOT_APPLICABLE}
    failed = {name: status for name, status in statuses.items() if status in _SOURCE_FAILURES}
    if not failed or len(failed) < len(statuses):
        return
    names = ", ".join(f"{name} ({status})" for name, status in failed.items())
    if all(status == str(Status.TIMEOUT) for status in failed.values()):
        raise SourceTimeout(f"No part could be answered; the sources did not answer in time: "
                            f"{names}.")
    raise SourceUnavailable(f"No part could be answered; their sources failed: {names}.")


def _part_answer(part: PartPlan, outcomes: Sequence[SourceOutcome]
                 ) -> tuple[dict[str, Any], tuple[str, ...]]:
    if part.skipped is not None:
        return {"status": NOT_APPLICABLE, "detail": part.skipped}, ()
    if part.refusal is not None or part.grant is None:
        code = part.refusal.code if part.refusal else "refused"
        return {"status": code, "detail": part.refusal.detail if part.refusal else None}, ()
    answered = [o for o in outcomes if o.status is Status.OK]
    failed = [o for o in outcomes if o.status in (Status.UNAVAILABLE, Status.TIMEOUT)]
    result: dict[str, Any] = {"status": _status(answered, failed),
                              "deliberation": part.grant.reference,
                              "sources": [_source(o) for o in outcomes]}
    if not answered:
        return result, ()
    shown = covered(part.service, merge(part.service, [o.data for o in answered]), part.grant)
    result["data"] = keep_granted(part.service, shown, part.grant)
    return result, persons_found(part.service, shown)


def _status(answered: Sequence[SourceOutcome], failed: Sequence[SourceOutcome]) -> str:
    if answered:
        return "partial" if failed else "ok"
    if failed:
        return str(failed[0].status)
    return str(Status.NOT_FOUND)


def _source(outcome: SourceOutcome) -> Mapping[str, Any]:
    return {"institution": outcome.institution.cbe, "name": outcome.institution.name_fr,
            "status": str(outcome.status), "detail": outcome.detail}
