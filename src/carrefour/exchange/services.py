"""The consultation pipeline: validate → finality → authorization → routing → concurrent calls
→ merge → keep granted fields → journal → reply with a ticket.

Refusals are journaled like successes; no answer leaves before its journal entry is committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from carrefour import reference
from carrefour.auth.roles import check_role
from carrefour.auth.services import Caller
from carrefour.catalogue.model import CONSULTATION, Catalogue, Service, validate_parameters
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.directory.domain import (
    Deliberation,
    Institution,
    Integration,
    check_finality,
    find_deliberation,
)
from carrefour.directory.reader import IntegrationReader
from carrefour.errors import (
    CarrefourError,
    InvalidCode,
    InvalidInput,
    UnknownService,
)
from carrefour.exchange import composite
from carrefour.exchange.answers import MAX_RESULTS as MAX_RESULTS
from carrefour.exchange.answers import limit_collection, raise_for_nothing
from carrefour.exchange.gateway import SourceGateway, SourceOutcome, Status
from carrefour.exchange.merge import covered, keep_granted, merge, persons_found
from carrefour.exchange.ports import SourceRequest
from carrefour.exchange.routing import route
from carrefour.identification.niss import Niss, parse_niss
from carrefour.identification.successors import SuccessorReader
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import refusal
from carrefour.journal.writer import JournalWriter
from carrefour.observability.metrics import HubMetrics
from carrefour.observability.tracing import Tracing, current_trace_id


@dataclass(frozen=True, slots=True)
class EndUser:
    """The person at the institution on whose behalf the request is made."""

    id: str
    role: str
    listed_role: bool = True  # False: no role from the list (CBSS SOAP), see Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class Consultation:
    service: str
    version: int | None = None
    niss: str | None = None
    capacity: int
    end_user: EndUser
    parameters: Mapping[str, Any] = field(default_factory=dict)
    exchange: str = CONSULTATION  # the catalogue's ``exchange`` of the service asked
    action: str = "consult"  # the journal's action
    verdict: Callable[[Mapping[str, Any]], None] | None = None
    """Reads the source's answer before it leaves: a declaration the source refused raises
    its error here, so that the journal records the refusal (and its code)."""


@dataclass(frozen=True, slots=True)
class SourceReport:
    institution: str  # CBE number
    name: str
    kind: str
    status: str
    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsultationResult:
    ticket: str
    service: str
    version: int
    niss: str | None  # the number asked about
    status: str  # "ok" or "partial"
    deliberation: str
    data: dict[str, Any]
    sources: list[SourceReport]
    replaced_by: str | None = None  # the number consulted instead, when ``niss`` was replaced


@dataclass
class _Trace:
    """What the journal needs to know about an exchange, filled in as the pipeline advances."""

    ticket: str
    started: float
    service: str | None = None  # the service, once the catalogue knows it
    institution: Institution | None = None
    niss: str | None = None  # the number consulted (journaled)
    asked: str | None = None  # the number asked about, when it was replaced by ``niss``
    deliberation: str | None = None
    sources: tuple[str, ...] = ()
    found: tuple[str, ...] = ()  # the persons a search returned, each journaled too


SEARCH_RESULT = "search-result"
"""The action of the journal entry that records, under a person's own NISS, that a search
returned that person (its ``reference`` is the search's ticket)."""


class Exchange:
    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: Catalogue,
        reference_cache: ReferenceCache,
        gateway: SourceGateway,
        journal: JournalWriter,
        source_timeout: float,
        today: Callable[[], dt.date] = dt.date.today,
        metrics: HubMetrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._engine = engine
        self._metrics = metrics or HubMetrics()
        self._tracing = tracing or Tracing()
        self._catalogue = catalogue
        self._reference = reference_cache
        self._gateway = gateway
        self._journal = journal
        self._timeout = source_timeout
        self._today = today
        self._reader = IntegrationReader(engine)
        self._successors = SuccessorReader(engine)

    def close(self) -> None:
        self._reader.close()

    async def consult(
        self, caller: Caller, request: Consultation, *, channel: str = "rest"
    ) -> ConsultationResult:
        trace = _Trace(ticket=new_ticket(), started=time.perf_counter())
        try:
            result = await self._consult(caller, request, trace)
            if request.verdict is not None:
                request.verdict(result.data)
        except Exception as error:
            answer = await refusal(self._journal, error, ticket=trace.ticket, entry=lambda
                                   outcome: self._entry(caller, request, trace, outcome, channel))
            self._count(trace, answer.code if isinstance(answer, CarrefourError)
                        else "internal-error", channel)
            if isinstance(answer, CarrefourError) and trace.asked is not None:
                answer.extra["replaced_by"] = trace.niss
            if answer is not error:
                raise answer from error
            raise
        try:
            await self._record(caller, request, trace, outcome=result.status, channel=channel)
        except CarrefourError as error:  # answered, not journaled: held back, with its ticket
            error.extra["ticket"] = trace.ticket
            raise
        return result

    async def _consult(
        self, caller: Caller, request: Consultation, trace: _Trace
    ) -> ConsultationResult:
        span = self._tracing.span
        with span("validate"):
            service = self._catalogue.get(request.service, request.version)
            if service.declaration:
                raise UnknownService(f"'{service.name}' is a declaration, not a consultation: "
                                     "send it with POST /v1/declarations.")
            _check_exchange(service, request.exchange)
            trace.service = service.name
            snapshot = await self._reference.current()
            institution = trace.institution = snapshot.institution(caller.institution_id)
            if request.end_user.listed_role:
                check_role(request.end_user.role, sector=institution.sector)
            niss = await self._followed(self._checked_niss(service, request), trace)
            _check_capacity(institution, request.capacity)
            parameters = validate_parameters(service, request.parameters)
        today = self._today()
        with span("finality"):
            integrations = (await self._integrations(niss)
                            if _needs_directory(service, snapshot) else [])
            if service.requires_integration:
                check_finality(integrations, institution_id=institution.id,
                               capacity=request.capacity, today=today)
        if service.composite:
            asker = composite.Asker(institution=institution, capacity=request.capacity,
                                    niss_kind=niss.kind if niss else None,
                                    integrations=integrations, today=today,
                                    parameters=parameters,
                                    birth_date=niss.birth_date if niss else None)
            return await self._consult_composite(service, snapshot, asker, trace)
        with span("authorization"):
            grant = self._authorise(snapshot, service, institution, request.capacity, today)
        trace.deliberation = grant.reference
        with span("routing"):
            targets = route(
                service,
                niss_kind=niss.kind if niss else None,
                availability=snapshot.availability,
                sources_by_kind=snapshot.sources_by_kind,
                integrations=integrations,
                today=today,
            )
        trace.sources = tuple(t.cbe for t in targets)
        ask = SourceRequest(
            ticket=trace.ticket,
            service=service.name,
            version=service.version,
            niss=trace.niss,
            parameters=parameters,
            client=institution.cbe,
        )
        with span("sources"):
            outcomes = await self._ask_all(targets, ask)
        with span("merge"):
            return _answer(service, trace, grant, outcomes, parameters)

    async def _consult_composite(
        self, service: Service, snapshot: ReferenceSnapshot, asker: composite.Asker,
        trace: _Trace,
    ) -> ConsultationResult:
        """Every part checked on its own, all their sources asked at once (exchange.composite)."""
        plan = composite.plan(service, self._catalogue, snapshot, asker)
        trace.deliberation = plan.references
        trace.sources = tuple(dict.fromkeys(t.cbe for _, t in plan.targets))
        asks = [self._gateway.ask(target, SourceRequest(
                    ticket=trace.ticket, service=part.service.name,
                    version=part.service.version, niss=trace.niss,
                    parameters=dict(part.parameters),
                    client=asker.institution.cbe),
                    timeout=self._timeout) for part, target in plan.targets]
        outcomes = list(await asyncio.gather(*asks))
        status, data, trace.found = composite.answer(plan, outcomes)
        return ConsultationResult(
            ticket=trace.ticket, service=service.name, version=service.version,
            niss=trace.asked or trace.niss, status=status, deliberation=plan.references,
            data=data, sources=[_report(o) for o in outcomes], replaced_by=_replaced_by(trace),
        )

    async def _followed(self, niss: Niss | None, trace: _Trace) -> Niss | None:
        """The number to consult: a replaced BIS number gives way to the one replacing it."""
        if niss is None:
            return None
        current = await self._successors.current(niss)
        trace.niss = current.value
        if current != niss:
            trace.asked = niss.value
        return current

    async def current_number(self, niss: str) -> str:
        """The number that stands for the person today (a text not a NISS is left as is)."""
        try:
            number = parse_niss(niss)
        except InvalidInput:
            return niss
        return (await self._successors.current(number)).value

    def _checked_niss(self, service: Service, request: Consultation) -> Niss | None:
        if not service.needs_niss:
            if request.niss:
                raise InvalidInput(f"The service '{service.name}' takes no NISS.")
            return None
        if not request.niss:
            raise InvalidInput(f"The service '{service.name}' needs the person's NISS.")
        return parse_niss(request.niss)

    async def _integrations(self, niss: Niss | None) -> list[Integration]:
        return [] if niss is None else await self._reader.of(niss.value)

    @staticmethod
    def _authorise(
        snapshot: ReferenceSnapshot,
        service: Service,
        institution: Institution,
        capacity: int,
        today: dt.date,
    ) -> Deliberation:
        return find_deliberation(
            snapshot.deliberations_by_service.get(service.name, []),
            client_kind=institution.kind,
            capacity=capacity,
            service=service.name,
            today=today,
        )

    async def _ask_all(
        self, targets: Sequence[Institution], request: SourceRequest
    ) -> list[SourceOutcome]:
        calls = [self._gateway.ask(t, request, timeout=self._timeout) for t in targets]
        return list(await asyncio.gather(*calls))

    async def _record(self, caller: Caller, request: Consultation, trace: _Trace, *,
                      outcome: str, channel: str) -> None:
        entry = self._entry(caller, request, trace, outcome, channel)
        with self._tracing.span("journal"):
            if not trace.found:
                await self._journal.record(entry)
            else:
                entries = [entry, *_search_results(entry, trace.found)]
                await asyncio.gather(*(self._journal.record(e) for e in entries))
        self._count(trace, outcome, channel)

    def _count(self, trace: _Trace, outcome: str, channel: str) -> None:
        self._metrics.exchange(
            service=trace.service, outcome=outcome, channel=channel,
            client_kind=trace.institution.kind if trace.institution else None,
            seconds=time.perf_counter() - trace.started,
        )

    @staticmethod
    def _entry(caller: Caller, request: Consultation, trace: _Trace, outcome: str,
               channel: str) -> JournalEntry:
        return JournalEntry(
            ticket=trace.ticket,
            occurred_at=dt.datetime.now(dt.UTC),
            channel=channel,
            action=request.action,
            client=trace.institution.cbe if trace.institution else caller.client_id,
            end_user_id=request.end_user.id,
            end_user_role=request.end_user.role,
            service=request.service,
            niss=trace.niss,
            quality_code=request.capacity,
            deliberation=trace.deliberation,
            sources=trace.sources,
            outcome=outcome,
            duration_ms=round((time.perf_counter() - trace.started) * 1000, 3),
            trace_id=current_trace_id(),
        )

def _search_results(search: JournalEntry, found: Sequence[str]) -> list[JournalEntry]:
    """One entry per person a search returned, under that person's NISS, with its own ticket
    and the search's ticket as reference: "who consulted me" shows the search. The person a
    consultation is about has its own entry already (a household's statuses name the others)."""
    return [
        replace(search, ticket=new_ticket(), action=SEARCH_RESULT, niss=niss,
                reference=search.ticket)
        for niss in dict.fromkeys(found) if niss != search.niss
    ]


def _needs_directory(service: Service, snapshot: ReferenceSnapshot) -> bool:
    """Whether the person's integrations matter: for finality, or to route to the sources
    holding a file on the person."""
    if service.requires_integration:
        return True
    rows = (snapshot.availability.get((service.name, s.kind)) for s in service.sources)
    return any(row is not None and row.quality_codes is not None for row in rows)


def _check_exchange(service: Service, exchange: str) -> None:
    """A service of another exchange than the caller's (a Mediprima decision on the
    consultation path) is not there for it."""
    if service.exchange != exchange:
        raise UnknownService(
            f"The service '{service.name}' is not a {exchange}: it is used through its own "
            f"entry points ({service.exchange})."
        )


def _check_capacity(institution: Institution, capacity: int) -> None:
    if reference.quality_code(institution.sector, capacity) is None:
        raise InvalidCode(
            f"The quality code {capacity} does not exist in the institution's sector "
            f"({institution.sector})."
        )


def _answer(
    service: Service,
    trace: _Trace,
    grant: Deliberation,
    outcomes: Sequence[SourceOutcome],
    parameters: Mapping[str, Any],
) -> ConsultationResult:
    answered = [o for o in outcomes if o.status is Status.OK]
    failed = [o for o in outcomes if o.status in (Status.UNAVAILABLE, Status.TIMEOUT)]
    if not answered:
        raise_for_nothing(outcomes, failed)
    shown = covered(service, merge(service, [o.data for o in answered]), grant)
    limit_collection(service, shown, parameters)
    trace.found = persons_found(service, shown)
    data = keep_granted(service, shown, grant)
    return ConsultationResult(
        ticket=trace.ticket,
        service=service.name,
        version=service.version,
        niss=trace.asked or trace.niss,
        status="partial" if failed else "ok",
        deliberation=grant.reference,
        data=data,
        sources=[_report(o) for o in outcomes],
        replaced_by=_replaced_by(trace),
    )


def _replaced_by(trace: _Trace) -> str | None:
    return trace.niss if trace.asked is not None else None


def _report(outcome: SourceOutcome) -> SourceReport:
    institution = outcome.institution
    return SourceReport(
        institution=institution.cbe,
        name=institution.name_fr,
        kind=institution.kind,
        status=str(outcome.status),
        detail=outcome.detail,
    )
