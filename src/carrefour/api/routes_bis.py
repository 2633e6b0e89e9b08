"""The hub's BIS register: numbers for persons unknown to the National Register.

A record is changed only by the institution that created it or by the hub's operators
(``not-record-owner`` otherwise); a replacement by a National Register number is checked with
the Register first (``unknown-person``, ``identity-mismatch``, ``source-unavailable``)."""

from __future__ import annotations

from fastapi import APIRouter

from carrefour.api.deps import AnyCaller, ConsultingCaller, HubDep
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
    niss: NissPath, body: BisChangesIn, caller: AnyCaller, hub: HubDep
) -> BisPersonOut:
    """Correct or complete the data of a BIS person (its creator or an operator only; a
    replaced number answers 409 with ``replaced_by``)."""
    actor = Actor(caller, body.end_user.id, body.end_user.role)
    done = await hub.bis.update(actor, niss, body.changes)
    return BisPersonOut(ticket=done.ticket, niss=done.value.niss.value, data=legal_data(done.value))


@router.post("/{niss}/replacement", response_model=ReplacementOut, status_code=201)
async def replace(
    niss: NissPath, body: ReplacementIn, caller: AnyCaller, hub: HubDep
) -> ReplacementOut:
    """Record that a National Register number (or another BIS number: a duplicate merged)
    replaces this BIS number; its creator or an operator only. A Register number is checked
    with the National Register: it must exist and be the same person. The person's files are
    carried over to the new number and the institutions holding one are told (niss-replaced)."""
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
