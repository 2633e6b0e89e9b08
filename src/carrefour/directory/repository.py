"""Reading and writing directory rows (SQLAlchemy Core) as domain objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select, update

from carrefour.auth.tables import credentials
from carrefour.directory.domain import Availability, Deliberation, Institution, Integration, Role
from carrefour.directory.tables import (
    availability,
    deliberations,
    institutions,
    integrations,
    reference_version,
)


def to_institution(row: RowMapping) -> Institution:
    return Institution(
        id=row["id"],
        cbe=row["cbe"],
        name_fr=row["name_fr"],
        name_nl=row["name_nl"],
        sector=row["sector"],
        subsector=row["subsector"],
        kind=row["kind"],
        role=Role(row["role"]),
        endpoint=row["endpoint"],
        source_token=row["source_token"],
        postal_code=row["postal_code"],
        active=bool(row["active"]),
        name_de=row["name_de"],
    )


def to_integration(row: RowMapping) -> Integration:
    return Integration(
        id=row["id"],
        niss=row["niss"],
        institution_id=row["institution_id"],
        quality_code=row["quality_code"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        unregistered_at=row["unregistered_at"],
    )


def to_deliberation(row: RowMapping) -> Deliberation:
    sectors = row["sectors"]
    return Deliberation(
        id=row["id"],
        reference=row["reference"],
        title=row["title"],
        client_kind=row["client_kind"],
        quality_codes=frozenset(int(c) for c in row["quality_codes"]),
        service=row["service"],
        fields=frozenset(row["fields"]),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        sectors=None if sectors is None else frozenset(int(s) for s in sectors),
        confidential_days=row["confidential_days"],
    )


def deliberation_values(grant: Deliberation) -> dict[str, Any]:
    """A grant as a flat record (code and field lists sorted), for rows and API documents."""
    return {
        "reference": grant.reference,
        "title": grant.title,
        "client_kind": grant.client_kind,
        "quality_codes": sorted(grant.quality_codes),
        "service": grant.service,
        "fields": sorted(grant.fields),
        "valid_from": grant.valid_from,
        "valid_until": grant.valid_until,
        "sectors": None if grant.sectors is None else sorted(grant.sectors),
        "confidential_days": grant.confidential_days,
    }


def to_availability(row: RowMapping) -> Availability:
    codes = row["quality_codes"]
    return Availability(
        service=row["service"],
        source_kind=row["source_kind"],
        quality_codes=None if codes is None else frozenset(int(c) for c in codes),
    )


def institution_by_cbe(connection: Connection, cbe: str) -> Institution | None:
    row = connection.execute(select(institutions).where(institutions.c.cbe == cbe)).mappings()
    found = row.first()
    return None if found is None else to_institution(found)


def all_institutions(connection: Connection) -> list[Institution]:
    rows = connection.execute(select(institutions).order_by(institutions.c.id)).mappings()
    return [to_institution(r) for r in rows]


def integrations_of(connection: Connection, niss: str) -> list[Integration]:
    query = select(integrations).where(integrations.c.niss == niss).order_by(integrations.c.id)
    return [to_integration(r) for r in connection.execute(query).mappings()]


def all_deliberations(connection: Connection) -> list[Deliberation]:
    rows = connection.execute(select(deliberations).order_by(deliberations.c.id)).mappings()
    return [to_deliberation(r) for r in rows]


def all_availability(connection: Connection) -> list[Availability]:
    rows = connection.execute(select(availability).order_by(availability.c.id)).mappings()
    return [to_availability(r) for r in rows]


def revoked_client_ids(connection: Connection) -> list[str]:
    query = select(credentials.c.client_id).where(credentials.c.revoked_at.is_not(None))
    return list(connection.execute(query).scalars())


def current_version(connection: Connection) -> int:
    value = connection.execute(select(func.max(reference_version.c.version))).scalar()
    return int(value or 0)


def bump_version(connection: Connection) -> None:
    """Tell every hub process that deliberations, availability or institutions changed."""
    changed = connection.execute(
        update(reference_version)
        .where(reference_version.c.id == 1)
        .values(version=reference_version.c.version + 1)
    ).rowcount
    if not changed:
        connection.execute(reference_version.insert().values(id=1, version=1))


def integration_values(
    *,
    niss: str,
    institution_id: int,
    quality_code: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "niss": niss,
        "institution_id": institution_id,
        "quality_code": quality_code,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "created_at": now,
    }


def active_files(
    connection: Connection, nisses: Iterable[str], institution_ids: Iterable[int], day: dt.date
) -> dict[str, dict[int, set[int]]]:
    """The files active on ``day`` that these institutions hold on these persons: per NISS,
    per institution, the quality codes."""
    found: dict[str, dict[int, set[int]]] = {}
    people, ids = sorted(set(nisses)), sorted(set(institution_ids))
    i = integrations.c
    for start in range(0, len(people) if ids else 0, 500):
        query = select(i.niss, i.institution_id, i.quality_code).where(
            i.niss.in_(people[start : start + 500]),
            i.institution_id.in_(ids),
            i.unregistered_at.is_(None),
            i.starts_on <= day,
            or_(i.ends_on.is_(None), i.ends_on >= day),
        )
        for niss, institution_id, code in connection.execute(query):
            found.setdefault(niss, {}).setdefault(institution_id, set()).add(code)
    return found


def customers_on(
    connection: Connection, institution_id: int, quality_codes: Iterable[int], day: dt.date
) -> list[str]:
    """The persons the institution holds an active file on, on ``day``, with one of these
    quality codes, in NISS order."""
    i = integrations.c
    query = (
        select(i.niss)
        .distinct()
        .where(
            i.institution_id == institution_id,
            i.quality_code.in_(sorted(set(quality_codes))),
            i.unregistered_at.is_(None),
            i.starts_on <= day,
            or_(i.ends_on.is_(None), i.ends_on >= day),
        )
        .order_by(i.niss)
    )
    return list(connection.execute(query).scalars())
