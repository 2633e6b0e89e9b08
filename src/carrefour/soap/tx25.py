"""RetrieveTIGroups v2 (Tx25): a person's National Register record, for a client
authenticated with HTTP Basic, through the hub's ``legal-data`` and, when the client holds a
file that allows them, ``family-composition``, ``address-history`` and ``civil-state-history``
(the groups it does not allow are left out, with the reason in ``status/information``). The
``history`` flag adds the previous addresses, the previous civil states and the person's former
household compositions; ``language`` (fr, nl, de) the labels' language.

Business outcomes travel in ``status`` (``DATA_FOUND``, ``NO_DATA_FOUND``, ``NO_RESULT``);
technical errors, malformed or hostile XML and failed authentication are SOAP faults whose
detail is a ``CBSSFaultType``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from carrefour.errors import (
    CarrefourError,
    InvalidInput,
    InvalidNiss,
    InvalidXml,
    MissingValue,
    NoDeliberation,
    NotIntegrated,
    UnknownPerson,
)
from carrefour.soap import xm25
from carrefour.soap.call import SoapCall
from carrefour.soap.codes import DATA_FOUND, TX25_SUCCESS, code_of
from carrefour.soap.envelope import child_named, text
from carrefour.soap.newstyle import SSIN, NewStyleExchange, SoapFault

V2 = "http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"


@dataclass(frozen=True, slots=True)
class Search:
    ssin: str
    language: str
    history: bool
    legal_context: str


Tx25Fault = SoapFault


@dataclass
class Tx25Exchange(NewStyleExchange):
    NAMESPACE: ClassVar[str] = V2
    PREFIX: ClassVar[str] = "v2"
    FAULT: ClassVar[str] = "retrieveTIGroupsFault"
    ECHOED: ClassVar[tuple[str, ...]] = ("searchInformation",)
    SERVICE: ClassVar[str] = "RetrieveTIGroups"

    async def answer(self, body: etree._Element, authorization: str | None) -> etree._Element:
        if body.tag != f"{{{V2}}}retrieveTIGroupsRequest":
            raise InvalidXml("The SOAP Body must hold a retrieveTIGroupsRequest.")
        self.request = body
        call = await self.authenticated(authorization)
        try:
            search = parse(body)
        except CarrefourError as error:  # not even valid against the schema: a fault
            raise self.fault_for(error) from None
        try:
            person = (await call.consult("legal-data", search.ssin)).data
            register, notes = await _register(call, search.ssin, person)
        except CarrefourError as error:
            self.tickets = call.tickets
            return self._refusal(error)
        self.tickets = call.tickets
        response = self._response(DATA_FOUND, TX25_SUCCESS, None, notes)
        xm25.file_info(response, register, language=search.language, history=search.history)
        return response

    def _refusal(self, error: CarrefourError) -> etree._Element:
        code = code_of(error)
        if code.tx25_value is None:
            raise self.fault_for(error)
        return self._response(code.tx25_value, code.tx25_code, f"{error.code}: {error.detail}", {})

    def _response(
        self, value: str, code: str, description: str | None, notes: Mapping[str, str]
    ) -> etree._Element:
        return self.response("retrieveTIGroupsResponse", value, code, description, notes)


def parse(body: etree._Element) -> Search:
    search = child_named(body, "searchInformation")
    ssin, context = text(search, "ssin"), text(body, "legalContext")
    if ssin is None or context is None:
        raise MissingValue("searchInformation/ssin and legalContext are mandatory.")
    language = text(search, "language") or "fr"
    if language not in xm25.LANGUAGES:
        raise InvalidInput(f"The language {language!r} is not one of nl, fr or de.")
    history = (text(search, "history") or "false").lower() in ("true", "1")
    if not SSIN.fullmatch(ssin):
        raise InvalidNiss(f"The ssin {ssin!r} is not an SSIN (schema type SsinType).")
    return Search(ssin=ssin, language=language, history=history, legal_context=context)


# The groups answered only when the client's file allows it: group, service, its field.
_OPTIONAL = (("FamilyMembers", "family-composition", None),
             ("LegalMainAddresses", "address-history", "addresses"),
             ("CivilStates", "civil-state-history", "civil_states"))


async def _register(call: SoapCall, ssin: str, person: Mapping[str, Any]
                    ) -> tuple[xm25.Register, dict[str, str]]:
    """The legal data with the household, the addresses and the civil states the client's
    file allows; for the groups it does not, why not (the others are answered all the same)."""
    answers = await asyncio.gather(*(_optional(call, service, ssin)
                                     for _, service, _ in _OPTIONAL))
    found: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for (group, _service, name), (data, note) in zip(_OPTIONAL, answers, strict=True):
        if note is not None:
            notes[group] = note
        elif data is not None:
            found[group] = data if name is None else data.get(name)
    return xm25.Register(person=person, family=found.get("FamilyMembers"),
                         addresses=found.get("LegalMainAddresses"),
                         civil_states=found.get("CivilStates")), notes


async def _optional(call: SoapCall, service: str, ssin: str
                    ) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return (await call.consult(service, ssin)).data, None
    except (NotIntegrated, NoDeliberation, UnknownPerson) as error:
        return None, f"{error.code}: {error.detail}"
