"""OCMWCPASManageAccess (20050930): register, unregister and list a person's inscriptions,
through the hub's person directory: ``hub.access`` registers and unregisters; a LIST is the
consultation ``person-integrations``, checked (finality, deliberation) and journaled.

Registers: the *primary* register is the hub's directory of every sector's files on the
person; the *secondary* register is the CPAS sector's (files of sector-17 institutions). One
integration in Carrefour is both a CPAS's inscription in the secondary register and its
sector's in the primary one. A REGISTER needs a proof of authentication that the hub can check
against the person's legal data (``PersonData``); card numbers cannot be checked (the register
holds none), so a proof made of card numbers only is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from carrefour.directory.domain import CPAS_SECTOR
from carrefour.directory.source import PERSON_INTEGRATIONS
from carrefour.errors import IdentityNotProven, InvalidInput, MissingValue
from carrefour.soap import identify
from carrefour.soap.call import SoapCall
from carrefour.soap.codes import Detail
from carrefour.soap.envelope import child_named, sub, text
from carrefour.soap.persons import COMMON

MAR = "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess"
ACTIONS = ("REGISTER", "UNREGISTER", "LIST")
REGISTERS = ("PRIMARY", "SECONDARY", "ALL")


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    ssin: str
    purpose: int | None
    start: dt.date
    end: dt.date | None
    action: str
    sector: int | None
    register: str | None
    proof: etree._Element | None


@dataclass(frozen=True, slots=True)
class Registration:
    purpose: int
    start: dt.date
    end: dt.date | None
    org_unit: str
    register: str


async def handle(call: SoapCall, body: etree._Element, notes: list[Detail]) -> etree._Element:
    request = parse(body)
    if request.action == "LIST":
        return reply(request, await _list(call, request))
    if request.purpose is None:
        raise MissingValue(f"Purpose is mandatory for {request.action}.")
    if request.action == "REGISTER":
        return reply(request, await _register(call, request, request.purpose))
    await call.act(
        lambda actor: call.hub.access.unregister(
            actor, niss=request.ssin, quality_code=request.purpose or 0
        )
    )
    return reply(request, [])


def parse(body: etree._Element) -> Request:
    ssin, action = text(body, "SSIN"), text(body, "Action")
    period = child_named(body, "Period")
    start = _date(text(period, "StartDate"))
    if ssin is None or action is None or start is None:
        raise MissingValue("SSIN, Period/StartDate and Action are mandatory.")
    if action not in ACTIONS:
        raise InvalidInput(f"Action must be one of {', '.join(ACTIONS)}, not {action!r}.")
    register = text(body, "QueryRegister")
    if register is not None and register not in REGISTERS:
        raise InvalidInput(f"QueryRegister must be one of {', '.join(REGISTERS)}.")
    return Request(
        ssin=ssin,
        purpose=_integer(text(body, "Purpose")),
        start=start,
        end=_date(text(period, "EndDate")),
        action=action,
        sector=_integer(text(body, "Sector")),
        register=register,
        proof=child_named(body, "ProofOfAuthentication"),
    )


async def _register(call: SoapCall, request: Request, purpose: int) -> list[Registration]:
    await _check_proof(call, request, purpose)
    done = await call.act(
        lambda actor: call.hub.access.register(
            actor,
            niss=request.ssin,
            quality_code=purpose,
            starts_on=request.start,
            ends_on=request.end,
        )
    )
    integration = done.integration
    register = "SECONDARY" if call.institution.sector == CPAS_SECTOR else "PRIMARY"
    return [Registration(purpose, integration.starts_on, integration.ends_on,
                         call.institution.cbe, register)]


async def _check_proof(call: SoapCall, request: Request, purpose: int) -> None:
    person_data = child_named(request.proof, "PersonData")
    if not identify.has_content(request.proof):
        raise MissingValue("ProofOfAuthentication must hold SISCardNumber, IdentityCardNumber "
                           "or PersonData.")
    if not identify.has_content(person_data):
        raise IdentityNotProven("Card numbers cannot be checked by the hub: send PersonData "
                                "(LastName, FirstName, BirthDate) as proof of authentication.")
    person = (await call.consult("legal-data", request.ssin, capacity=purpose)).data
    if not identify.person_data_matches(person_data, person):
        raise IdentityNotProven("The PersonData do not match the person; nothing was registered.")


async def _list(call: SoapCall, request: Request) -> list[Registration]:
    """The consultation ``person-integrations`` in the capacity of ``Purpose`` (else the
    caller's own file on the person): refused without a file or a deliberation; each file
    with the fields granted for its sector."""
    result = await call.consult(PERSON_INTEGRATIONS, request.ssin, capacity=request.purpose)
    files = [f for f in map(_listed, result.data.get("integrations") or []) if f is not None]
    kept = [f for f in files if _overlaps(f, request) and _in_sector(f, request)]
    wanted = request.register or "ALL"
    found = []
    for listed in kept:
        if wanted in ("PRIMARY", "ALL"):
            found.append(_registration(listed, "PRIMARY"))
        if wanted in ("SECONDARY", "ALL") and listed.sector == CPAS_SECTOR:
            found.append(_registration(listed, "SECONDARY"))
    return found


@dataclass(frozen=True, slots=True)
class _Listed:
    """One file as the consultation granted it: a field not granted is None."""

    purpose: int
    start: dt.date
    end: dt.date | None
    sector: int | None
    institution: str | None


def _listed(item: Mapping[str, Any]) -> _Listed | None:
    """A file the reply can write: Purpose and the start of the Period are mandatory, so a file
    whose quality code or start is not granted is left out."""
    code, start = item.get("quality_code"), _date(item.get("start"))
    if code is None or start is None:
        return None
    return _Listed(int(code), start, _date(item.get("end")), item.get("sector"),
                   item.get("institution"))


def _overlaps(listed: _Listed, request: Request) -> bool:
    starts_in_time = request.end is None or listed.start <= request.end
    return starts_in_time and (listed.end is None or listed.end >= request.start)


def _in_sector(listed: _Listed, request: Request) -> bool:
    return request.sector is None or listed.sector == request.sector


def _registration(listed: _Listed, register: str) -> Registration:
    return Registration(listed.purpose, listed.start, listed.end, _org_unit(listed), register)


def _org_unit(listed: _Listed) -> str:
    """The holder's CBE number where the deliberation grants it, else the holder's sector (the
    schema documents OrgUnit as the sector of the inscription), else empty: OrgUnit is
    mandatory."""
    if listed.institution:
        return listed.institution
    return "" if listed.sector is None else str(listed.sector)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date written YYYY-MM-DD.") from None


def _integer(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 3:  # codes: 0 to 999
        raise InvalidInput(f"{value[:20]!r} is not a whole number of at most three digits.")
    return int(value)


# --- the reply -------------------------------------------------------------------------------
def reply(request: Request, registrations: list[Registration]) -> etree._Element:
    root = etree.Element(f"{{{MAR}}}ManageAccessReply", nsmap={"mar": MAR, "c": COMMON})
    original = sub(root, MAR, "OriginalRequest")
    sub(original, MAR, "SSIN", request.ssin)
    sub(original, MAR, "Purpose", request.purpose or 0)
    _period(original, request.start, request.end)
    sub(original, MAR, "Action", request.action)
    if request.register:
        sub(original, MAR, "Register", request.register)
    for found in registrations:
        element = sub(root, MAR, "Registrations")
        sub(element, MAR, "Purpose", found.purpose)
        _period(element, found.start, found.end)
        sub(element, MAR, "OrgUnit", found.org_unit)
        sub(element, MAR, "Register", found.register)
    return root


def _period(parent: etree._Element, start: dt.date, end: dt.date | None) -> None:
    period = sub(parent, MAR, "Period")
    sub(period, COMMON, "StartDate", start.isoformat())
    if end is not None:
        sub(period, COMMON, "EndDate", end.isoformat())
