"""Operators' endpoints: the directory, credentials, deliberations, availability, journal."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from carrefour.api.deps import AdminCaller, HubDep
from carrefour.api.params import NO_NUL, EndUserId, Limit, NissPath, RowId, Seq
from carrefour.api.schemas import (
    AvailabilityIn,
    CredentialsIn,
    CredentialsOut,
    DeliberationIn,
    DeliberationOut,
    InstitutionIn,
    InstitutionOut,
)
from carrefour.auth.roles import check_role
from carrefour.auth.services import Scope, create_credentials
from carrefour.directory import services as directory
from carrefour.directory.domain import Availability, Deliberation, Institution, Role
from carrefour.directory.files import parse_reference
from carrefour.directory.repository import deliberation_values
from carrefour.errors import InvalidInput, NotFound
from carrefour.identification.niss import parse_niss
from carrefour.journal import services as journal
from carrefour.journal.recorded import Act, Stamp, journaled

router = APIRouter(prefix="/v1/admin", tags=["administration"])
Reference = Annotated[
    str, Path(min_length=1, max_length=100, pattern=NO_NUL, description="A ticket or event id")
]


def _institution_out(institution: Institution) -> InstitutionOut:
    return InstitutionOut(
        **{
            k: v
            for k, v in dataclasses.asdict(institution).items()
            if k in InstitutionOut.model_fields
        }
    )


@router.get("/institutions", response_model=list[InstitutionOut])
async def list_institutions(_: AdminCaller, hub: HubDep) -> list[InstitutionOut]:
    found = await asyncio.to_thread(directory.list_institutions, hub.engine)
    return [_institution_out(i) for i in found]


@router.post("/institutions", response_model=InstitutionOut, status_code=201)
async def register_institution(body: InstitutionIn, _: AdminCaller, hub: HubDep) -> InstitutionOut:
    spec = directory.InstitutionSpec(**{**body.model_dump(), "role": Role(body.role)})
    created = await asyncio.to_thread(directory.register_institution, hub.engine, spec)
    hub.reference.invalidate()
    return _institution_out(created)


@router.post("/institutions/{cbe}/credentials", response_model=CredentialsOut, status_code=201)
async def add_credentials(
    cbe: Annotated[
        str, Path(min_length=1, max_length=20, pattern=NO_NUL, examples=["0212345678"])
    ],
    body: CredentialsIn, _: AdminCaller, hub: HubDep
) -> CredentialsOut:
    """Create client credentials for an institution; the secret is shown only here."""
    institution = await asyncio.to_thread(directory.get_institution, hub.engine, cbe)
    try:
        scopes = [Scope(s) for s in body.scopes]
    except ValueError:
        raise InvalidInput(f"Scopes must be among: {', '.join(Scope)}.") from None
    made = await asyncio.to_thread(
        create_credentials, hub.engine, institution_id=institution.id, scopes=scopes
    )
    return CredentialsOut(client_id=made.client_id, client_secret=made.client_secret)


@router.get("/deliberations", response_model=list[DeliberationOut])
async def list_deliberations(_: AdminCaller, hub: HubDep) -> list[DeliberationOut]:
    grants = await asyncio.to_thread(directory.list_deliberations, hub.engine)
    return [_deliberation_out(g) for g in grants]


def _deliberation_out(grant: Deliberation) -> DeliberationOut:
    return DeliberationOut(id=grant.id, **deliberation_values(grant))


@router.put("/deliberations", status_code=204)
async def save_deliberation(body: DeliberationIn, _: AdminCaller, hub: HubDep) -> None:
    """Create or replace the grant identified by reference, client kind and service."""
    hub.catalogue.get(body.service).check_grant(body.reference, body.fields, body.sectors)
    grant = Deliberation(
        id=0,
        reference=body.reference,
        title=body.title,
        client_kind=body.client_kind,
        quality_codes=frozenset(body.quality_codes),
        service=body.service,
        fields=frozenset(body.fields),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        sectors=None if body.sectors is None else frozenset(body.sectors),
    )
    await asyncio.to_thread(directory.save_all, hub.engine, [grant], [])
    hub.reference.invalidate()


@router.delete("/deliberations/{deliberation_id}", status_code=204)
async def delete_deliberation(deliberation_id: RowId, _: AdminCaller, hub: HubDep) -> None:
    await asyncio.to_thread(directory.delete_deliberation, hub.engine, deliberation_id)
    hub.reference.invalidate()


@router.get("/availability", response_model=list[AvailabilityIn])
async def list_availability(_: AdminCaller, hub: HubDep) -> list[AvailabilityIn]:
    rows = await asyncio.to_thread(directory.list_availability, hub.engine)
    return [
        AvailabilityIn(
            service=r.service,
            source_kind=r.source_kind,
            quality_codes=None if r.quality_codes is None else sorted(r.quality_codes),
        )
        for r in rows
    ]


@router.put("/availability", status_code=204)
async def save_availability(body: AvailabilityIn, _: AdminCaller, hub: HubDep) -> None:
    hub.catalogue.get(body.service)
    row = Availability(
        service=body.service,
        source_kind=body.source_kind,
        quality_codes=None if body.quality_codes is None else frozenset(body.quality_codes),
    )
    await asyncio.to_thread(directory.save_all, hub.engine, [], [row])
    hub.reference.invalidate()


@router.post("/reference", response_model=dict[str, int])
async def load_reference(
    _: AdminCaller, hub: HubDep, document: str = Body(media_type="application/toml")
) -> dict[str, int]:
    """Load deliberations and availability rows from a TOML reference file."""
    grants, rows = parse_reference(document, hub.catalogue)
    await asyncio.to_thread(directory.save_all, hub.engine, grants, rows)
    hub.reference.invalidate()
    return {"deliberations": len(grants), "availability": len(rows)}


@router.get("/journal/events/{event_id}")
async def journal_event(event_id: Reference, _: AdminCaller, hub: HubDep) -> list[dict[str, Any]]:
    """The journal entries of a mutation, oldest first: its intake, then every delivery."""
    records = await asyncio.to_thread(journal.by_reference, hub.engine, event_id)
    if not records:
        raise NotFound(f"No journal entry is about the event {event_id}.")
    return [_record_out(r) for r in records]


@router.get("/journal/{ticket}")
async def journal_entry(ticket: Reference, _: AdminCaller, hub: HubDep) -> dict[str, Any]:
    """The journal entry of an exchange, by its ticket (support starts here)."""
    record = await asyncio.to_thread(journal.by_ticket, hub.engine, ticket)
    if record is None:
        raise NotFound(f"No exchange with ticket {ticket} is in the journal.")
    return _record_out(record)


@router.get("/persons/{niss}/consultations")
async def who_consulted(
    niss: NissPath,
    caller: AdminCaller,
    hub: HubDep,
    end_user_id: EndUserId,
    end_user_role: Annotated[
        str, Query(min_length=1, max_length=60, pattern=NO_NUL, examples=["dpo"])
    ],
    limit: Limit = 100,
    before_seq: Seq | None = None,
) -> list[dict[str, Any]]:
    """Who consulted this person's data, newest first (for the DPO and the citizen).
    Looking is itself journaled: the journal holds personal data too."""
    checked = parse_niss(niss).value
    institution = (await hub.reference.current()).institution(caller.institution_id)
    act = Act(
        channel="admin",
        action="who-consulted",
        client=institution.cbe,
        end_user_id=end_user_id,
        end_user_role=end_user_role,
        service="journal",
        niss=checked,
    )

    async def work(_: Stamp) -> list[journal.JournalRecord]:
        check_role(end_user_role, sector=institution.sector)
        return await asyncio.to_thread(
            journal.by_niss, hub.engine, checked, limit=limit, before_seq=before_seq
        )

    done = await journaled(hub.journal, act, work)
    return [_record_out(r) for r in done.value]


def _record_out(record: journal.JournalRecord) -> dict[str, Any]:
    return {"seq": record.seq, **dataclasses.asdict(record.entry)}
