"""A simulated mutuality (health insurer): insurability, holder code, BIM, third-party payer.

Each mutuality is its own source process with its own members only; the hub routes to the one
where the person is integrated with quality code 1 of sector 11.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select

from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found, iso
from carrefour.simulation.sources.schema import members

_MEMBER = select(members).where(members.c.niss == bindparam("niss"))


def health_insurance(
    connection: Connection, request: SourceRequest, identity: SourceIdentity
) -> SourceAnswer:
    row = _member(connection, request.niss)
    if row is None:
        return NOT_FOUND
    return found({
        "mutuality": mutuality_of(identity),
        "holder_code": row["holder_code"],
        "insured_from": iso(row["insured_from"]),
        "insured_until": iso(row["insured_until"]),
        "bim": bool(row["bim"]),
        "bim_since": iso(row["bim_since"]),
        "third_party_payer": bool(row["third_party_payer"]),
        "medical_house": row["medical_house"],
    })


def social_statuses(
    connection: Connection, request: SourceRequest, identity: SourceIdentity
) -> SourceAnswer:
    row = _member(connection, request.niss)
    if row is None:
        return NOT_FOUND
    return found({"bim": bool(row["bim"]), "mutuality": mutuality_of(identity)})


def mutuality_of(identity: SourceIdentity) -> dict[str, Any]:
    """How a mutuality names itself in its answers: its national number and its name."""
    return {"number": identity.number, "name": identity.name}


def _member(connection: Connection, niss: str | None) -> RowMapping | None:
    return connection.execute(_MEMBER, {"niss": niss}).mappings().first()


HANDLERS: dict[str, Handler] = {
    "health-insurance": health_insurance,
    "social-statuses": social_statuses,
}
