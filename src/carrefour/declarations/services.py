"""Declaring, correcting and cancelling: the preventive control of a declaration, its routing
to the authentic source over the source protocol (``POST {endpoint}/v1/declare``) and its
journal entry.

validate → the declarant's own active file (finality) → the quality code allows the type →
the period is possible → a deliberation → routing → the source keeps it (idempotent on the
declarant's own reference) → journal → answer with a ticket. A refusal is journaled like an
acceptance and nothing reaches the source; the hub keeps nothing but the journal entry.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carrefour import reference
from carrefour.auth.roles import check_role
from carrefour.auth.services import Caller
from carrefour.catalogue.model import Catalogue
from carrefour.declarations.domain import (
    Action,
    DeclarationType,
    DeclarationTypes,
    check_allowed,
    check_period,
    check_reference,
    validate_data,
)
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.directory.domain import Institution, check_finality, find_deliberation
from carrefour.directory.reader import IntegrationReader
from carrefour.errors import (
    CarrefourError,
    DeclarationConflict,
    InvalidCode,
    InvalidInput,
    NoFileOnPerson,
    NotIntegrated,
    SourceTimeout,
    SourceUnavailable,
    UnknownDeclaration,
)
from carrefour.exchange.gateway import SourceGateway, SourceProtocolError
from carrefour.exchange.routing import route
from carrefour.exchange.services import EndUser
from carrefour.identification.niss import Niss, parse_niss
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.writer import JournalWriter

JOURNAL_ACTIONS = {Action.DECLARE: "declare", Action.CORRECT: "correct-declaration",
                   Action.CANCEL: "cancel-declaration"}
# The refusals a source may answer about a declaration, and the hub's error for each.
SOURCE_REFUSALS: dict[str, type[CarrefourError]] = {
    UnknownDeclaration.code: UnknownDeclaration,
    DeclarationConflict.code: DeclarationConflict,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclarationRequest:
    type: str
    action: str
    niss: str
    capacity: int
    reference: str
    end_user: EndUser
    data: Mapping[str, Any] = field(default_factory=dict)  # none for a cancellation
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclarationResult:
    ticket: str
    type: str
    reference: str
    niss: str
    state: str  # accepted, corrected, cancelled; received when the source decides later
    version: int
    duplicate: bool
    deliberation: str
    event_id: str | None
    source: str  # the CBE number of the authentic source that keeps it
    decision: Mapping[str, Any] | None = None  # the source's decision, once taken


@dataclass
class _Trace:
    ticket: str
    started: float
    institution: Institution | None = None
    deliberation: str | None = None
    sources: tuple[str, ...] = ()


class Declarations:
    def __init__(
        self, *, catalogue: Catalogue, types: DeclarationTypes, reference_cache: ReferenceCache,
        reader: IntegrationReader, gateway: SourceGateway, journal: JournalWriter,
        source_timeout: float, today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._catalogue, self._types = catalogue, types
        self._reference, self._reader = reference_cache, reader
        self._gateway, self._journal = gateway, journal
        self._timeout, self._today = source_timeout, today

    def close(self) -> None:
        self._reader.close()

    async def send(self, caller: Caller, request: DeclarationRequest) -> DeclarationResult:
        """Declare, correct or cancel (``request.action``), every check applied, journaled."""
        trace = _Trace(ticket=new_ticket(), started=time.perf_counter())
        try:
            result = await self._send(caller, request, trace)
        except CarrefourError as error:
            await self._record(caller, request, trace, outcome=error.code)
            error.extra["ticket"] = trace.ticket
            raise
        except Exception:
            await self._record(caller, request, trace, outcome="internal-error")
            raise
        await self._record(caller, request, trace, outcome=result.state)
        return result

    async def _send(self, caller: Caller, request: DeclarationRequest, trace: _Trace
                    ) -> DeclarationResult:
        kind = self._types.get(request.type)
        snapshot = await self._reference.current()
        institution = trace.institution = snapshot.institution(caller.institution_id)
        check_role(request.end_user.role, sector=institution.sector)
        niss = parse_niss(request.niss)
        check_reference(request.reference)
        _check_capacity(institution, request.capacity)
        data = None if request.action == Action.CANCEL else validate_data(kind, request.data)
        today = self._today()
        integrations = await self._reader.of(niss.value)
        try:
            check_finality(integrations, institution_id=institution.id,
                           capacity=request.capacity, today=today)
        except NotIntegrated as refusal:
            raise NoFileOnPerson(refusal.detail) from None
        check_allowed(kind, data, request.capacity)
        if data is not None:
            check_period(kind, data, today)
        return await self._route(kind, snapshot, institution, niss, request, data, trace)

    async def _route(self, kind: DeclarationType, snapshot: ReferenceSnapshot,
                     institution: Institution, niss: Niss, request: DeclarationRequest,
                     data: dict[str, Any] | None, trace: _Trace) -> DeclarationResult:
        service = self._catalogue.get(kind.service)
        today = self._today()
        grant = find_deliberation(snapshot.deliberations_by_service.get(service.name, []),
                                  client_kind=institution.kind, capacity=request.capacity,
                                  service=service.name, today=today)
        trace.deliberation = grant.reference
        source = route(service, niss_kind=niss.kind, availability=snapshot.availability,
                       sources_by_kind=snapshot.sources_by_kind, integrations=[],
                       today=today)[0]
        trace.sources = (source.cbe,)
        body = {"ticket": trace.ticket, "type": kind.code, "action": request.action,
                "niss": niss.value, "declarant": institution.cbe,
                "reference": request.reference, "data": data, "reason": request.reason}
        answer = await self._ask(source, body)
        return DeclarationResult(
            ticket=trace.ticket, type=kind.code, reference=request.reference, niss=niss.value,
            state=str(answer["state"]), version=int(answer["version"]),
            duplicate=bool(answer.get("duplicate")), deliberation=grant.reference,
            event_id=answer.get("event_id"), source=source.cbe,
            decision=answer.get("decision") if isinstance(answer.get("decision"), dict) else None)

    async def _ask(self, source: Institution, body: Mapping[str, Any]) -> dict[str, Any]:
        name = source.name_fr
        try:
            status, answer = await self._gateway.declare(source, body, timeout=self._timeout)
        except TimeoutError:
            raise SourceTimeout(f"The authentic source did not answer in time: {name}.") from None
        except SourceProtocolError as error:
            raise SourceUnavailable(f"The authentic source could not answer: {name} "
                                    f"({error}).") from None
        if status == 200 and {"state", "version"} <= set(answer):
            return answer
        refusal = SOURCE_REFUSALS.get(str(answer.get("code")))
        if refusal is not None:
            raise refusal(str(answer.get("detail") or refusal.title))
        raise SourceUnavailable(f"The authentic source could not answer: {name} (HTTP {status}).")

    async def _record(self, caller: Caller, request: DeclarationRequest, trace: _Trace, *,
                      outcome: str) -> None:
        kind = self._types.types.get(request.type)
        await self._journal.record(JournalEntry(
            ticket=trace.ticket, occurred_at=dt.datetime.now(dt.UTC), channel="rest",
            action=JOURNAL_ACTIONS.get(request.action, "declare"),
            client=trace.institution.cbe if trace.institution else caller.client_id,
            end_user_id=request.end_user.id, end_user_role=request.end_user.role,
            service=kind.service if kind else None, niss=_niss_or_none(request.niss),
            quality_code=request.capacity, deliberation=trace.deliberation,
            sources=trace.sources, outcome=outcome,
            duration_ms=round((time.perf_counter() - trace.started) * 1000, 3),
            reference=f"{kind.code}:{request.reference}"[:120] if kind else None,
        ))


def _niss_or_none(text: str) -> str | None:
    try:
        return parse_niss(text).value
    except InvalidInput:
        return None


def _check_capacity(institution: Institution, capacity: int) -> None:
    if reference.quality_code(institution.sector, capacity, own_sector_only=True) is None:
        raise InvalidCode(f"The quality code {capacity} is not a code of the institution's "
                          f"sector ({institution.sector}).")
