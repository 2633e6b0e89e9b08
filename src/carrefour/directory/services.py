"""Use cases of the reference directory: institutions, integrations, authorizations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry


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


def parse_cbe(raw: str) -> str:
    """A valid enterprise (CBE/KBO) number in its compact 10-digit form."""
    try:
        return str(vat.validate(raw))
    except ValidationError:
        raise InvalidCbeNumber(
            f"The enterprise number {raw!r} is not a valid CBE number."
        ) from None


def register_institution(engine: Engine, spec: InstitutionSpec) -> Institution:
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
    return created


def _institution_values(spec: InstitutionSpec, cbe: str) -> dict[str, object]:
    return {
        "cbe": cbe,
        "name_fr": spec.name_fr,
        "name_nl": spec.name_nl,
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
) -> Registered:
    """Integrate a NISS in the institution's file; the journal entry commits with it."""
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


def delete_deliberation(engine: Engine, deliberation_id: int) -> None:
    with engine.begin() as connection:
        gone = connection.execute(
            delete(deliberations).where(deliberations.c.id == deliberation_id)
        ).rowcount
        if not gone:
            raise NotFound(f"There is no deliberation grant with id {deliberation_id}.")
        repo.bump_version(connection)


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


def save_all(engine: Engine, grants: Sequence[Deliberation], rows: Sequence[Availability]) -> None:
    with engine.begin() as connection:
        for grant in grants:
            save_deliberation(connection, grant)
        for row in rows:
            save_availability(connection, row)
