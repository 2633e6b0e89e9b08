"""Operators' endpoints: the directory, credentials, deliberations, availability, journal.

Every call is journaled with the operator (``end_user_id`` / ``end_user_role`` query
parameters, by default the client id and ``operator``): a change with its audit rows (the
states before and after) in the change's transaction, a refusal with its code."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from carrefour.api.deps import AdminCall, AdminCaller, HubDep
from carrefour.api.params import NO_NUL, Limit, NissPath, RowId, Seq
from carrefour.api.schemas import (
    AuditOut,
    AvailabilityIn,
    CredentialsIn,
    CredentialsOut,
    CredentialsStateOut,
    DeliberationIn,
    DeliberationOut,
    InstitutionIn,
    InstitutionOut,
)
from carrefour.auth import services as auth
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import Hub
from carrefour.directory import services as directory
from carrefour.directory.domain import Availability, Deliberation, Institution, Role
from carrefour.directory.files import parse_reference
from carrefour.directory.repository import deliberation_values
from carrefour.errors import InvalidInput, NotFound
from carrefour.identification.niss import parse_niss
from carrefour.journal import audit as journal_audit
from carrefour.journal import services as journal

router = APIRouter(prefix="/v1/admin", tags=["administration"])
Reference = Annotated[
    str, Path(min_length=1, max_length=100, pattern=NO_NUL, description="A ticket or event id")
]
Cbe = Annotated[
    str, Path(min_length=1, max_length=20, pattern=NO_NUL, examples=["0212345678"])
]
ClientId = Annotated[str, Path(min_length=1, max_length=80, pattern=NO_NUL)]


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
async def register_institution(
    body: InstitutionIn, call: AdminCaller, hub: HubDep
) -> InstitutionOut:
    spec = directory.InstitutionSpec(**{**body.model_dump(), "role": Role(body.role)})
    created = await asyncio.to_thread(
        directory.register_institution, hub.engine, spec, stamp=call.stamp
    )
    hub.reference.invalidate()
    return _institution_out(created)


@router.post("/institutions/{cbe}/disable", response_model=InstitutionOut)
async def disable_institution(cbe: Cbe, call: AdminCaller, hub: HubDep) -> InstitutionOut:
    """Disable an institution: its tokens, its credentials (token endpoint, SOAP HTTP Basic)
    and its SOAP client addresses are refused at once (`institution-disabled`), and as a
    source it is no longer routed to. Other hub processes follow within a second."""
    return await _set_active(cbe, call, hub, active=False)


@router.post("/institutions/{cbe}/enable", response_model=InstitutionOut)
async def enable_institution(cbe: Cbe, call: AdminCaller, hub: HubDep) -> InstitutionOut:
    """Enable a disabled institution again."""
    return await _set_active(cbe, call, hub, active=True)


async def _set_active(cbe: str, call: AdminCall, hub: Hub, *, active: bool) -> InstitutionOut:
    changed = await asyncio.to_thread(
        directory.set_institution_active, hub.engine, cbe, active=active, stamp=call.stamp
    )
    hub.reference.invalidate()
    return _institution_out(changed)


@router.post("/institutions/{cbe}/credentials", response_model=CredentialsOut, status_code=201)
async def add_credentials(
    cbe: Cbe, body: CredentialsIn, call: AdminCaller, hub: HubDep
) -> CredentialsOut:
    """Create client credentials for an institution; the secret is shown only here."""
    institution = await asyncio.to_thread(directory.get_institution, hub.engine, cbe)
    try:
        scopes = [Scope(s) for s in body.scopes]
    except ValueError:
        raise InvalidInput(f"Scopes must be among: {', '.join(Scope)}.") from None
    made = await asyncio.to_thread(
        create_credentials, hub.engine, institution_id=institution.id, scopes=scopes,
        stamp=call.stamp,
    )
    return CredentialsOut(client_id=made.client_id, client_secret=made.client_secret)


@router.post("/credentials/{client_id}/revoke", response_model=CredentialsStateOut)
async def revoke_credentials(
    client_id: ClientId, call: AdminCaller, hub: HubDep
) -> CredentialsStateOut:
    """Revoke client credentials: their tokens and their HTTP Basic use are refused at once
    (`client-revoked`); other hub processes follow within a second."""
    state = await asyncio.to_thread(
        auth.revoke_credentials, hub.engine, client_id, stamp=call.stamp
    )
    hub.reference.invalidate()
    return CredentialsStateOut(**state)


@router.get("/deliberations", response_model=list[DeliberationOut])
async def list_deliberations(_: AdminCaller, hub: HubDep) -> list[DeliberationOut]:
    grants = await asyncio.to_thread(directory.list_deliberations, hub.engine)
    return [_deliberation_out(g) for g in grants]


def _deliberation_out(grant: Deliberation) -> DeliberationOut:
    return DeliberationOut(id=grant.id, **deliberation_values(grant))


@router.put("/deliberations", status_code=204)
async def save_deliberation(body: DeliberationIn, call: AdminCaller, hub: HubDep) -> None:
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
        confidential_days=body.confidential_days,
    )
    await asyncio.to_thread(directory.save_all, hub.engine, [grant], [], stamp=call.stamp)
    hub.reference.invalidate()


@router.delete("/deliberations/{deliberation_id}", status_code=204)
async def delete_deliberation(deliberation_id: RowId, call: AdminCaller, hub: HubDep) -> None:
    await asyncio.to_thread(
        directory.delete_deliberation, hub.engine, deliberation_id, stamp=call.stamp
    )
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
async def save_availability(body: AvailabilityIn, call: AdminCaller, hub: HubDep) -> None:
    hub.catalogue.get(body.service)
    row = Availability(
        service=body.service,
        source_kind=body.source_kind,
        quality_codes=None if body.quality_codes is None else frozenset(body.quality_codes),
    )
    await asyncio.to_thread(directory.save_all, hub.engine, [], [row], stamp=call.stamp)
    hub.reference.invalidate()


@router.post("/reference", response_model=dict[str, int])
async def load_reference(
    call: AdminCaller, hub: HubDep, document: str = Body(media_type="application/toml")
) -> dict[str, int]:
    """Load deliberations and availability rows from a TOML reference file."""
    grants, rows = parse_reference(document, hub.catalogue)
    await asyncio.to_thread(directory.save_all, hub.engine, grants, rows, stamp=call.stamp)
    hub.reference.invalidate()
    return {"deliberations": len(grants), "availability": len(rows)}


@router.get("/audit", response_model=list[AuditOut])
async def audit(
    call: AdminCaller,
    hub: HubDep,
    kind: Annotated[journal_audit.Kind | None, Query(description="The kind of object")] = None,
    key: Annotated[str | None, Query(min_length=1, max_length=300,
                                     description="The object's key (with a kind)")] = None,
    limit: Limit = 100,
    before_seq: Seq | None = None,
) -> list[AuditOut]:
    """Who changed what, newest first: each object's state before and after, with the
    journal entry that vouches for it. Looking is journaled too. Keys: an institution's CBE
    number, a client id, `reference|client_kind|service` for a deliberation grant,
    `service|source_kind` for an availability row, a subscription's id."""
    if key is not None and kind is None:
        raise InvalidInput("Give the kind of the object whose key is given.")
    found = await asyncio.to_thread(
        journal_audit.trail, hub.engine, kind=kind, key=key, limit=limit, before_seq=before_seq,
        archive_dir=hub.settings.journal_archive_dir,
    )
    await call.journal_read(hub, reference=None if kind is None else f"{kind}:{key or '*'}")
    return [AuditOut(**dataclasses.asdict(record)) for record in found]


@router.get("/journal/events/{event_id}")
async def journal_event(event_id: Reference, _: AdminCaller, hub: HubDep) -> list[dict[str, Any]]:
    """The journal entries of a mutation, oldest first: its intake, then every delivery."""
    records = await asyncio.to_thread(journal.by_reference, hub.engine, event_id,
                                      archive_dir=hub.settings.journal_archive_dir)
    if not records:
        raise NotFound(f"No journal entry is about the event {event_id}.")
    return [_record_out(r) for r in records]


@router.get("/journal/{ticket}")
async def journal_entry(ticket: Reference, _: AdminCaller, hub: HubDep) -> dict[str, Any]:
    """The journal entry of an exchange, by its ticket (support starts here)."""
    record = await asyncio.to_thread(journal.by_ticket, hub.engine, ticket,
                                     archive_dir=hub.settings.journal_archive_dir)
    if record is None:
        raise NotFound(f"No exchange with ticket {ticket} is in the journal.")
    return _record_out(record)


@router.get("/persons/{niss}/consultations")
async def who_consulted(
    niss: NissPath,
    call: AdminCaller,
    hub: HubDep,
    limit: Limit = 100,
    before_seq: Seq | None = None,
) -> list[dict[str, Any]]:
    """Who consulted this person's data, newest first (for the DPO and the citizen).
    Looking is itself journaled: the journal holds personal data too."""
    checked = parse_niss(niss).value
    call.stamp.niss = checked
    call.stamp.act = dataclasses.replace(call.stamp.act, service="journal")
    found = await asyncio.to_thread(
        journal.by_niss, hub.engine, checked, limit=limit, before_seq=before_seq,
        archive_dir=hub.settings.journal_archive_dir,
    )
    await call.journal_read(hub)
    return [_record_out(r) for r in found]


def _record_out(record: journal.JournalRecord) -> dict[str, Any]:
    return {"seq": record.seq, **dataclasses.asdict(record.entry)}
