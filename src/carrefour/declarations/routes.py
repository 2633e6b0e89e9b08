"""REST entry points of the declarations: a client (a CPAS) declares, corrects and cancels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from carrefour.api.deps import ConsultingCaller, HubDep
from carrefour.api.schemas import EndUserIn, FreeObject, Strict
from carrefour.declarations.domain import Action
from carrefour.declarations.services import DeclarationRequest, DeclarationResult
from carrefour.exchange.services import EndUser

router = APIRouter(prefix="/v1", tags=["declarations"])

TypePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$",
                               description="The declaration type, e.g. A036")]
ReferencePath = Annotated[str, Path(min_length=1, max_length=64,
                                    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                    description="The declarant's own reference")]
SOURCE_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {"description": "The authentic source is unavailable"},
    504: {"description": "The authentic source did not answer in time"},
}


class DeclarationIn(Strict):
    type: str = Field(min_length=1, max_length=40, examples=["A036"])
    niss: str = Field(min_length=1, max_length=20, examples=["85073003328"])
    capacity: int = Field(ge=0, le=999, description="Quality code of the declarant's own file")
    reference: str = Field(min_length=1, max_length=64, examples=["RIS-2026-0042"],
                           description="The declarant's own reference: sending it again is "
                           "idempotent")
    end_user: EndUserIn
    data: FreeObject = Field(examples=[{"type": "ris", "start": "2026-01-01",
                                        "end": "2026-12-31"}])


class CorrectionIn(Strict):
    niss: str = Field(min_length=1, max_length=20)
    capacity: int = Field(ge=0, le=999)
    end_user: EndUserIn
    data: FreeObject


class CancellationIn(Strict):
    niss: str = Field(min_length=1, max_length=20)
    capacity: int = Field(ge=0, le=999)
    end_user: EndUserIn
    reason: str | None = Field(None, max_length=200)


class DeclarationOut(BaseModel):
    ticket: str
    type: str
    reference: str
    niss: str
    state: str = Field(description="accepted, corrected or cancelled; received when the source "
                       "decides later (its decision then comes as a spp-decision mutation)")
    version: int
    duplicate: bool = Field(description="True when the source already held exactly this")
    deliberation: str
    event_id: str | None = Field(None, description="The authentic source's id of the record")
    source: str
    decision: dict[str, Any] | None = Field(
        None, description="The source's decision, once taken (a type it decides on later)")


def _out(result: DeclarationResult) -> DeclarationOut:
    return DeclarationOut(**{name: getattr(result, name) for name in DeclarationOut.model_fields})


@router.post("/declarations", response_model=DeclarationOut, status_code=201,
             responses=SOURCE_ERRORS)
async def declare(body: DeclarationIn, caller: ConsultingCaller, hub: HubDep) -> DeclarationOut:
    """Declare to the authentic source through the hub (e.g. the multifunctional attestation
    A036): the declarant's own active file on the person, a quality code allowing the type, a
    possible period, a deliberation; journaled with a ticket. Idempotent on `reference`."""
    return _out(await hub.declarations.send(caller, _request(
        body, Action.DECLARE, type=body.type, reference=body.reference, data=body.data)))


@router.post("/declarations/{type}/{reference}/correction", response_model=DeclarationOut,
             responses=SOURCE_ERRORS)
async def correct(type: TypePath, reference: ReferencePath, body: CorrectionIn,
                  caller: ConsultingCaller, hub: HubDep) -> DeclarationOut:
    """Replace the data of one's own declaration (a new version), with the same checks."""
    return _out(await hub.declarations.send(caller, _request(
        body, Action.CORRECT, type=type, reference=reference, data=body.data)))


@router.post("/declarations/{type}/{reference}/cancellation", response_model=DeclarationOut,
             responses=SOURCE_ERRORS)
async def cancel(type: TypePath, reference: ReferencePath, body: CancellationIn,
                 caller: ConsultingCaller, hub: HubDep) -> DeclarationOut:
    """Withdraw one's own declaration; cancelling it again changes nothing."""
    return _out(await hub.declarations.send(caller, _request(
        body, Action.CANCEL, type=type, reference=reference, reason=body.reason)))


def _request(body: DeclarationIn | CorrectionIn | CancellationIn, action: str, *, type: str,
             reference: str, **content: Any) -> DeclarationRequest:
    """The use case's request: who the declaration is about, in which capacity, by whom."""
    return DeclarationRequest(type=type, action=action, niss=body.niss, capacity=body.capacity,
                              reference=reference,
                              end_user=EndUser(body.end_user.id, body.end_user.role), **content)
