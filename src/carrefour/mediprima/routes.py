"""REST entry points of Mediprima (ManageCarmed): a CPAS opens, modifies, stops, consults and
simulates its medical aid decisions and reads their history; a care provider checks coverage.

Thin: the shapes are refused at the edge (422 ``invalid-input``), the decision's rules by
:mod:`carrefour.mediprima.domain` (``invalid-period``, ``invalid-code``...) before anything is
asked; each operation is then one exchange of :class:`~carrefour.mediprima.services.Mediprima`,
journaled with its ticket, Mediprima's refusals answered with their own codes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from carrefour.api.deps import ConsultingCaller, HubDep
from carrefour.api.params import EndUserId, EndUserRole, NissPath
from carrefour.api.schemas import EndUserIn, Strict
from carrefour.auth.services import Caller
from carrefour.exchange.services import ConsultationResult, EndUser
from carrefour.mediprima import domain
from carrefour.mediprima.services import Asker, Mediprima

router = APIRouter(prefix="/v1/mediprima", tags=["mediprima"])

SOURCE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    502: {"description": "Mediprima is unavailable"},
    504: {"description": "Mediprima did not answer in time"},
}
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,35}$"
ReferencePath = Annotated[str, Path(min_length=1, max_length=36, pattern=REFERENCE_PATTERN,
                                    description="The CPAS's own reference of its decision",
                                    examples=["MED-2026-0042"])]
Capacity = Annotated[int, Query(ge=0, le=999, description="Quality code of the caller's own "
                                "active file on the person", examples=[4])]
Coverage = Literal["full", "ambulatory", "hospital"]


class AskIn(Strict):
    capacity: int = Field(ge=0, le=999, description="Quality code of the CPAS's file",
                          examples=[4])
    end_user: EndUserIn


class ChangeIn(AskIn):
    """A decision as modified (or simulated so): its period, what and how much it covers."""

    start: dt.date
    end: dt.date
    coverage: Coverage = Field(examples=["full"])
    ceiling: int | None = Field(None, ge=1, le=domain.MAX_CEILING,
                                description="At most this many euros (absent: no ceiling)")


class DecisionIn(ChangeIn):
    reference: str = Field(min_length=1, max_length=36, pattern=REFERENCE_PATTERN,
                           description="The CPAS's own reference: a resubmission is answered "
                           "with the decision registered the first time", examples=["MED-1"])


class StopIn(AskIn):
    end: dt.date = Field(description="The last day the decision covers")


class MediprimaOut(BaseModel):
    ticket: str
    operation: str
    niss: str | None
    deliberation: str
    data: dict[str, Any]
    replaced_by: str | None = None


def _asker(caller: Caller, niss: str, capacity: int, user: EndUserIn) -> Asker:
    return Asker(caller=caller, end_user=EndUser(user.id, user.role), niss=niss,
                 capacity=capacity)


def _query_asker(caller: Caller, niss: str, capacity: int, user_id: str, role: str) -> Asker:
    return Asker(caller=caller, end_user=EndUser(user_id, role), niss=niss, capacity=capacity)


def _decision(reference: str, body: ChangeIn) -> domain.Decision:
    return domain.decision(reference=reference, start=body.start, end=body.end,
                           coverage=body.coverage, ceiling=body.ceiling)


def _out(result: ConsultationResult) -> MediprimaOut:
    return MediprimaOut(ticket=result.ticket, operation=result.service, niss=result.niss,
                        deliberation=result.deliberation, data=result.data,
                        replaced_by=result.replaced_by)


@router.post("/persons/{niss}/decisions", response_model=MediprimaOut,
             responses=SOURCE_PROBLEMS)
async def open_decision(niss: NissPath, body: DecisionIn, caller: ConsultingCaller,
                        hub: HubDep) -> MediprimaOut:
    """Open a medical aid decision (ManageCarmed/openCarmed). Idempotent on `reference`: the
    same decision sent again is answered as registered the first time (`replayed`)."""
    decision = _decision(body.reference, body)
    asker = _asker(caller, niss, body.capacity, body.end_user)
    return _out(await Mediprima(hub.exchange).open(asker, decision))


@router.put("/persons/{niss}/decisions/{reference}", response_model=MediprimaOut,
            responses=SOURCE_PROBLEMS)
async def modify_decision(niss: NissPath, reference: ReferencePath, body: ChangeIn,
                          caller: ConsultingCaller, hub: HubDep) -> MediprimaOut:
    """Modify a decision (ManageCarmed/modifyCarmed): Mediprima keeps the earlier version."""
    decision = _decision(reference, body)
    asker = _asker(caller, niss, body.capacity, body.end_user)
    return _out(await Mediprima(hub.exchange).modify(asker, decision))


@router.post("/persons/{niss}/decisions/{reference}/stop", response_model=MediprimaOut,
             responses=SOURCE_PROBLEMS)
async def stop_decision(niss: NissPath, reference: ReferencePath, body: StopIn,
                        caller: ConsultingCaller, hub: HubDep) -> MediprimaOut:
    """Stop a decision on a day (ManageCarmed/stopCarmed): nothing is covered after it."""
    asker = _asker(caller, niss, body.capacity, body.end_user)
    return _out(await Mediprima(hub.exchange).stop(asker, reference, body.end))


@router.get("/persons/{niss}/decisions/{reference}", response_model=MediprimaOut,
            responses=SOURCE_PROBLEMS)
async def consult_decision(niss: NissPath, reference: ReferencePath, capacity: Capacity,
                           end_user_id: EndUserId, end_user_role: EndUserRole,
                           caller: ConsultingCaller, hub: HubDep) -> MediprimaOut:
    """The decision as it stands, with Mediprima's calculation (ManageCarmed/consultCarmed)."""
    asker = _query_asker(caller, niss, capacity, end_user_id, end_user_role)
    return _out(await Mediprima(hub.exchange).consult(asker, reference))


@router.get("/persons/{niss}/decisions", response_model=MediprimaOut,
            responses=SOURCE_PROBLEMS)
async def decision_history(niss: NissPath, capacity: Capacity, end_user_id: EndUserId,
                           end_user_role: EndUserRole, caller: ConsultingCaller,
                           hub: HubDep) -> MediprimaOut:
    """Every version of the CPAS's decisions on the person (ManageCarmed history)."""
    asker = _query_asker(caller, niss, capacity, end_user_id, end_user_role)
    return _out(await Mediprima(hub.exchange).history(asker))


@router.post("/persons/{niss}/evaluations", response_model=MediprimaOut,
             responses=SOURCE_PROBLEMS)
async def evaluate(niss: NissPath, body: DecisionIn, caller: ConsultingCaller,
                   hub: HubDep) -> MediprimaOut:
    """Simulate a decision without registering it (ManageCarmed/evaluateCarmed): the outcome
    (accepted or refused, with the refusal) and the calculation it would get."""
    decision = _decision(body.reference, body)
    asker = _asker(caller, niss, body.capacity, body.end_user)
    return _out(await Mediprima(hub.exchange).evaluate(asker, decision))


@router.post("/persons/{niss}/decisions/{reference}/evaluations", response_model=MediprimaOut,
             responses=SOURCE_PROBLEMS)
async def evaluate_modified(niss: NissPath, reference: ReferencePath, body: ChangeIn,
                            caller: ConsultingCaller, hub: HubDep) -> MediprimaOut:
    """Simulate the impact of a modified decision (ManageCarmed/evaluateModifiedCarmed)."""
    decision = _decision(reference, body)
    asker = _asker(caller, niss, body.capacity, body.end_user)
    return _out(await Mediprima(hub.exchange).evaluate_modified(asker, decision))


@router.get("/persons/{niss}/coverage", response_model=MediprimaOut, responses=SOURCE_PROBLEMS)
async def coverage(niss: NissPath, day: Annotated[dt.date, Query(alias="date",
                   description="The day of the care")], capacity: Capacity,
                   end_user_id: EndUserId, end_user_role: EndUserRole,
                   caller: ConsultingCaller, hub: HubDep) -> MediprimaOut:
    """Whether a CPAS covers the patient's medical costs on the day (care providers, before
    invoicing): `covered`, and when covered what, over which period and by which CPAS."""
    asker = _query_asker(caller, niss, capacity, end_user_id, end_user_role)
    return _out(await Mediprima(hub.exchange).coverage(asker, day))
