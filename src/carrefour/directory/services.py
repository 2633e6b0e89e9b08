"""Use cases of the reference directory: institutions, integrations, authorizations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from stdnum.be import vat
from stdnum.exceptions import ValidationError

from carrefour import reference
from carrefour.db import reading
from carrefour.directory import repository as repo
from carrefour.directory.domain import (
    Availability,
    Deliberation,
    Institution,
    Integration,
    Period,
    Role,
    integration_period,
)
from carrefour.directory.tables import availability, deliberations, institutions, integrations
from carrefour.errors import Conflict, InvalidCbeNumber, InvalidCode, InvalidInput, NotFound
from carrefour.identification import repository as bis_repository
from carrefour.identification.niss import Niss, NissKind
from carrefour.journal import audit
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry
from carrefour.journal.recorded import Stamp


@dataclass(frozen=True, slots=True, kw_only=True)
class InstitutionSpec:
    cbe: str
    name_fr: str
    name_nl: str
    sector: int
    subsector: int = 0
    kind: str
    role: Role
    endpoint: str | None = None
    source_token: str | None = None
    postal_code: str | None = None
    name_de: str | None = None


def parse_cbe(raw: str) -> str:
    """A valid enterprise (CBE/KBO) number in its compact 10-digit form."""
    try:
        return str(vat.validate(raw))
    except ValidationError:
        raise InvalidCbeNumber(
            f"The enterprise number {raw!r} is not a valid CBE number."
        ) from None


def register_institution(
    engine: Engine, spec: InstitutionSpec, *, stamp: Stamp | None = None
) -> Institution:
    """Register an institution; journaled (``stamp``: who acts, by default the local
    operator) with its state, in the same transaction."""
    cbe = parse_cbe(spec.cbe)
    if reference.sector(spec.sector, spec.subsector) is None:
        raise InvalidCode(f"The sector {spec.sector}/{spec.subsector} is not in the sector list.")
    if spec.role.is_source and not spec.endpoint:
        raise InvalidInput("A source institution needs an endpoint.")
    with engine.begin() as connection:
        if repo.institution_by_cbe(connection, cbe) is not None:
            raise Conflict(f"An institution with CBE number {cbe} is already registered.")
        connection.execute(institutions.insert().values(**_institution_values(spec, cbe)))
        repo.bump_version(connection)
        created = repo.institution_by_cbe(connection, cbe)
        assert created is not None
        change = audit.Change(audit.Kind.INSTITUTION, cbe, None, institution_state(created))
        audit.commit(connection, stamp or audit.local_stamp("admin-register-institution"), [change])
    return created


def set_institution_active(
    engine: Engine, cbe: str, *, active: bool, stamp: Stamp | None = None
) -> Institution:
    """Disable or enable an institution (its tokens and credentials are refused while it is
    disabled, and a disabled source is no longer routed to); journaled with both states."""
    compact = parse_cbe(cbe)
    action = "admin-enable-institution" if active else "admin-disable-institution"
    with engine.begin() as connection:
        before = repo.institution_by_cbe(connection, compact)
        if before is None:
            raise NotFound(f"No institution with CBE number {compact} is registered.")
        connection.execute(
            update(institutions).where(institutions.c.id == before.id).values(active=active)
        )
        repo.bump_version(connection)
        after = repo.institution_by_cbe(connection, compact)
        assert after is not None
        change = audit.Change(
            audit.Kind.INSTITUTION, compact, institution_state(before), institution_state(after)
        )
        audit.commit(connection, stamp or audit.local_stamp(action), [change])
    return after


def institution_state(institution: Institution) -> dict[str, Any]:
    """What the audit trail keeps of an institution (the source token only as present)."""
    return {
        "cbe": institution.cbe,
        "name_fr": institution.name_fr,
        "name_nl": institution.name_nl,
        "name_de": institution.name_de,
        "sector": institution.sector,
        "subsector": institution.subsector,
        "kind": institution.kind,
        "role": str(institution.role),
        "endpoint": institution.endpoint,
        "has_source_token": institution.source_token is not None,
        "postal_code": institution.postal_code,
        "active": institution.active,
    }


def _institution_values(spec: InstitutionSpec, cbe: str) -> dict[str, object]:
    return {
        "cbe": cbe,
        "name_fr": spec.name_fr,
        "name_nl": spec.name_nl,
        "name_de": spec.name_de,
        "sector": spec.sector,
        "subsector": spec.subsector,
        "kind": spec.kind,
        "role": str(spec.role),
        "endpoint": spec.endpoint,
        "source_token": spec.source_token,
        "postal_code": spec.postal_code,
        "active": True,
        "created_at": dt.datetime.now(dt.UTC),
    }


def get_institution(engine: Engine, cbe: str) -> Institution:
    with engine.connect() as connection:
        found = repo.institution_by_cbe(connection, parse_cbe(cbe))
    if found is None:
        raise NotFound(f"No institution with CBE number {cbe} is registered.")
    return found


def list_institutions(engine: Engine) -> list[Institution]:
    with engine.connect() as connection:
        return repo.all_institutions(connection)


# --- person directory ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Registered:
    integration: Integration
    period: Period


def check_quality_code(institution: Institution, quality_code: int) -> None:
    """A file is integrated under a quality code of the institution's own sector; the codes
    valid in every sector (000 definitive registration, 902, 999 replaced NISS) describe a
    person's registration, not an institution's file."""
    if reference.quality_code(institution.sector, quality_code, own_sector_only=True) is None:
        raise InvalidCode(
            f"The quality code {quality_code} is not a code of the institution's sector "
            f"({institution.sector})."
        )


def register_integration(
    engine: Engine,
    *,
    institution: Institution,
    niss: Niss,
    quality_code: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    journal: JournalEntry,
    then: Callable[[Connection, Integration], object] | None = None,
) -> Registered:
    """Integrate a NISS in the institution's file; the journal entry commits with it, and so
    does what ``then`` does about the new file (the derived rights told at integration)."""
    check_quality_code(institution, quality_code)
    period = integration_period(
        sector=institution.sector, quality_code=quality_code, starts_on=starts_on, ends_on=ends_on
    )
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        _refuse_replaced(connection, niss)
        inserted = connection.execute(
            integrations.insert().values(
                **repo.integration_values(
                    niss=niss.value,
                    institution_id=institution.id,
                    quality_code=quality_code,
                    starts_on=period.starts_on,
                    ends_on=period.ends_on,
                    now=now,
                )
            )
        )
        key = inserted.inserted_primary_key
        assert key is not None  # always set after a single-row INSERT
        new_id = key[0]
        journal_append(connection, [journal])
        row = connection.execute(select(integrations).where(integrations.c.id == new_id))
        integration = repo.to_integration(row.mappings().one())
        if then is not None:
            then(connection, integration)
    return Registered(integration, period)


def unregister_integration(
    engine: Engine,
    *,
    institution: Institution,
    niss: Niss,
    quality_code: int,
    journal: JournalEntry,
) -> int:
    """End the institution's open integrations of the NISS with that code; how many ended."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        _refuse_replaced(connection, niss)
        ended = connection.execute(
            update(integrations)
            .where(
                integrations.c.niss == niss.value,
                integrations.c.institution_id == institution.id,
                integrations.c.quality_code == quality_code,
                integrations.c.unregistered_at.is_(None),
            )
            .values(unregistered_at=now)
        ).rowcount
        if not ended:
            raise NotFound(
                f"The institution has no open integration of this person with code {quality_code}."
            )
        journal_append(connection, [journal])
    return int(ended)


def _refuse_replaced(connection: Connection, niss: Niss) -> None:
    """A replaced BIS number holds no files of its own: they were carried over to the number
    that replaced it. Its register row stays locked (shared) until the change commits, so no
    replacement can slip in between."""
    if niss.kind is not NissKind.BIS:
        return
    successor = bis_repository.replaced_by(connection, niss, lock=True)
    if successor is not None:
        raise Conflict(
            f"The NISS {niss} was replaced by {successor}; its files were carried over to that "
            "number: use it.",
            replaced_by=successor.value,
        )


def integrations_of(engine: Engine, niss: str) -> list[Integration]:
    with reading(engine).connect() as connection:
        return repo.integrations_of(connection, niss)


# --- authorizations and availability ---------------------------------------------------------
def save_deliberation(connection: Connection, grant: Deliberation) -> None:
    """Insert or replace the grant identified by (reference, client kind, service)."""
    if grant.valid_until is not None and grant.valid_until < grant.valid_from:
        raise InvalidInput(f"The deliberation {grant.reference} ends before it starts.")
    connection.execute(
        delete(deliberations).where(
            deliberations.c.reference == grant.reference,
            deliberations.c.client_kind == grant.client_kind,
            deliberations.c.service == grant.service,
        )
    )
    connection.execute(deliberations.insert().values(**repo.deliberation_values(grant)))
    repo.bump_version(connection)


def delete_deliberation(
    engine: Engine, deliberation_id: int, *, stamp: Stamp | None = None
) -> None:
    with engine.begin() as connection:
        row = connection.execute(
            select(deliberations).where(deliberations.c.id == deliberation_id)
        ).mappings().first()
        if row is None:
            raise NotFound(f"There is no deliberation grant with id {deliberation_id}.")
        grant = repo.to_deliberation(row)
        connection.execute(delete(deliberations).where(deliberations.c.id == deliberation_id))
        repo.bump_version(connection)
        key, state = deliberation_key(grant), _grant_state(grant)
        change = audit.Change(audit.Kind.DELIBERATION, key, state, None)
        audit.commit(connection, stamp or audit.local_stamp("admin-delete-deliberation"), [change])


def save_availability(connection: Connection, row: Availability) -> None:
    connection.execute(
        delete(availability).where(
            availability.c.service == row.service, availability.c.source_kind == row.source_kind
        )
    )
    codes = None if row.quality_codes is None else sorted(row.quality_codes)
    connection.execute(
        availability.insert().values(
            service=row.service, source_kind=row.source_kind, quality_codes=codes
        )
    )
    repo.bump_version(connection)


def list_deliberations(engine: Engine) -> list[Deliberation]:
    with engine.connect() as connection:
        return repo.all_deliberations(connection)


def list_availability(engine: Engine) -> list[Availability]:
    with engine.connect() as connection:
        return repo.all_availability(connection)


def save_all(
    engine: Engine,
    grants: Sequence[Deliberation],
    rows: Sequence[Availability],
    *,
    stamp: Stamp | None = None,
) -> None:
    """Save grants and availability rows in one transaction, journaled with the state before
    and after of every grant and row that changed."""
    with engine.begin() as connection:
        before_grants = {deliberation_key(g): g for g in repo.all_deliberations(connection)}
        before_rows = {availability_key(r): r for r in repo.all_availability(connection)}
        changes = []
        for grant in grants:
            save_deliberation(connection, grant)
            key = deliberation_key(grant)
            old = before_grants.get(key)
            changes.append(audit.Change(
                audit.Kind.DELIBERATION, key, None if old is None else _grant_state(old),
                _grant_state(grant),
            ))
        for row in rows:
            save_availability(connection, row)
            key = availability_key(row)
            was = before_rows.get(key)
            changes.append(audit.Change(
                audit.Kind.AVAILABILITY, key, None if was is None else _row_state(was),
                _row_state(row),
            ))
        audit.commit(connection, stamp or audit.local_stamp("admin-load-reference"), changes)


def deliberation_key(grant: Deliberation) -> str:
    return f"{grant.reference}|{grant.client_kind}|{grant.service}"


def availability_key(row: Availability) -> str:
    return f"{row.service}|{row.source_kind}"


def _grant_state(grant: Deliberation) -> dict[str, Any]:
    return repo.deliberation_values(grant)


def _row_state(row: Availability) -> dict[str, Any]:
    codes = None if row.quality_codes is None else sorted(row.quality_codes)
    return {"service": row.service, "source_kind": row.source_kind, "quality_codes": codes}
