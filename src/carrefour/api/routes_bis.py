"""The hub's BIS register: numbers for persons unknown to the National Register."""

from __future__ import annotations

from fastapi import APIRouter

from carrefour.api.deps import ConsultingCaller, HubDep
from carrefour.api.params import NissPath
from carrefour.api.schemas import (
    BisChangesIn,
    BisPersonIn,
    BisPersonOut,
    ReplacementIn,
    ReplacementOut,
)
from carrefour.auth.services import Actor
from carrefour.identification.source import legal_data

router = APIRouter(prefix="/v1/bis-persons", tags=["BIS register"])


@router.post("", response_model=BisPersonOut, status_code=201)
async def create(body: BisPersonIn, caller: ConsultingCaller, hub: HubDep) -> BisPersonOut:
    """Create a BIS number (check digits, birth date and gender encoded)."""
    actor = Actor(caller, body.end_user.id, body.end_user.role)
    data = body.model_dump(exclude={"end_user"}, exclude_none=True)
    done = await hub.bis.create(actor, data)
    person = done.value
    return BisPersonOut(ticket=done.ticket, niss=person.niss.value, data=legal_data(person))


@router.patch("/{niss}", response_model=BisPersonOut)
async def update(
    niss: NissPath, body: BisChangesIn, caller: ConsultingCaller, hub: HubDep
) -> BisPersonOut:
    """Correct or complete the data of a BIS person."""
    actor = Actor(caller, body.end_user.id, body.end_user.role)
    done = await hub.bis.update(actor, niss, body.changes)
    return BisPersonOut(ticket=done.ticket, niss=done.value.niss.value, data=legal_data(done.value))


@router.post("/{niss}/replacement", response_model=ReplacementOut, status_code=201)
async def replace(
    niss: NissPath, body: ReplacementIn, caller: ConsultingCaller, hub: HubDep
) -> ReplacementOut:
    """Record that a National Register number replaces this BIS number."""
    actor = Actor(caller, body.end_user.id, body.end_user.role)
    done = await hub.bis.replace(actor, niss, body.new_niss, body.reason)
    replacement = done.value
    return ReplacementOut(
        ticket=done.ticket,
        old_niss=str(replacement.old_niss),
        new_niss=str(replacement.new_niss),
        replaced_at=replacement.replaced_at,
        reason=replacement.reason,
    )
