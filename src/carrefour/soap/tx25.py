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
import copy
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from carrefour.auth.services import Actor
from carrefour.bootstrap import Hub
from carrefour.errors import (
    AuthenticationBusy,
    CarrefourError,
    Forbidden,
    InvalidInput,
    InvalidNiss,
    InvalidXml,
    MissingValue,
    NoDeliberation,
    NotIntegrated,
    TooManyAttempts,
    Unauthenticated,
    UnknownPerson,
)
from carrefour.journal.entries import new_ticket
from carrefour.soap import xm25
from carrefour.soap.call import CHANNEL, SoapCall
from carrefour.soap.codes import DATA_FOUND, TX25_SUCCESS, code_of
from carrefour.soap.envelope import Fault, child_named, sub, text
from carrefour.soap.identity import BasicVerifier, check_org_unit

V2 = "http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"
_CBE = re.compile(r"\d{10}")
# The SsinType of CommonV3: register, BIS (month + 20) and BIS (month + 40) numbers.
_SSIN = re.compile(
    r"\d\d(?:(?:0\d|1[0-2])(?:[0-2]\d|3[01])(?:\d\d[1-9]|\d[1-9]\d|[1-9]\d\d)"
    r"|(?:2\d|3[0-2]|4\d|5[0-2])(?:[0-2]\d|3[01])\d{3})(?:[0-8]\d|9[0-7])"
)


@dataclass(frozen=True, slots=True)
class Search:
    ssin: str
    language: str
    history: bool
    legal_context: str


class Tx25Fault(Exception):
    def __init__(self, fault: Fault, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(fault.message)
        self.fault, self.status, self.headers = fault, status, headers


@dataclass
class Tx25Exchange:
    hub: Hub
    verifier: BasicVerifier
    received: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    request: etree._Element | None = None
    tickets: list[str] = field(default_factory=list)
    address: str | None = None  # the client's, for the throttling of failed authentications

    async def answer(self, body: etree._Element, authorization: str | None) -> etree._Element:
        if body.tag != f"{{{V2}}}retrieveTIGroupsRequest":
            raise InvalidXml("The SOAP Body must hold a retrieveTIGroupsRequest.")
        self.request = body
        call = await self._call(authorization)
        try:
            search = parse(body)
        except CarrefourError as error:  # not even valid against the schema: a fault
            raise self._fault_of(error) from None
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

    async def _call(self, authorization: str | None) -> SoapCall:
        try:
            if not authorization:
                raise Unauthenticated("RetrieveTIGroups needs HTTP Basic authentication.")
            caller = await self.verifier(authorization, address=self.address)
            institution = (await self.hub.reference.current()).institution(caller.institution_id)
            check_org_unit(institution, _customer_cbe(self.request))
        except CarrefourError as error:
            raise self._fault_of(error) from None
        context = text(self.request, "legalContext") or "unspecified"
        actor = Actor(
            caller,
            caller.client_id,
            f"legal-context:{context}"[:200],
            channel=CHANNEL,
            listed_role=False,
        )
        return SoapCall(hub=self.hub, actor=actor, institution=institution)

    def _refusal(self, error: CarrefourError) -> etree._Element:
        code = code_of(error)
        if code.tx25_value is None:
            raise self._fault_of(error)
        return self._response(code.tx25_value, code.tx25_code, f"{error.code}: {error.detail}", {})

    def _response(
        self, value: str, code: str, description: str | None, notes: Mapping[str, str]
    ) -> etree._Element:
        response = etree.Element(f"{{{V2}}}retrieveTIGroupsResponse", nsmap={"v2": V2})
        _echo(response, self.request, "informationCustomer")
        self._information_cbss(response)
        _echo(response, self.request, "legalContext")
        _echo(response, self.request, "searchInformation")
        status = sub(response, "", "status")
        sub(status, "", "value", value)
        sub(status, "", "code", code)
        if description:
            sub(status, "", "description", description[:256])
        for name, note in list(notes.items())[:15]:
            information = sub(status, "", "information")
            sub(information, "", "fieldName", name[:64])
            sub(information, "", "fieldValue", note[:256])
        return response

    def _information_cbss(self, parent: etree._Element) -> None:
        element = sub(parent, "", "informationCBSS")
        sub(element, "", "ticketCBSS", self.tickets[0] if self.tickets else new_ticket())
        sub(element, "", "timestampReceive", self.received.isoformat(timespec="milliseconds"))
        reply = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        sub(element, "", "timestampReply", reply)

    def fault_for(self, error: CarrefourError) -> Tx25Fault:
        return self._fault_of(error)

    def _fault_of(self, error: CarrefourError) -> Tx25Fault:
        code = code_of(error)
        if not self.tickets and error.extra.get("ticket"):  # the refusal's own ticket
            self.tickets = [str(error.extra["ticket"])]
        detail = etree.Element(f"{{{V2}}}retrieveTIGroupsFault", nsmap={"v2": V2})
        if self.request is not None and _has_customer(self.request):
            _echo(detail, self.request, "informationCustomer")
        self._information_cbss(detail)
        item = sub(detail, "", "detail")
        sub(item, "", "severity", "FATAL")
        sub(item, "", "reasonCode", code.tx25_code)
        sub(item, "", "diagnostic", f"{error.code}: {error.detail}"[:256])
        sub(item, "", "authorCode", "Carrefour")
        # the client's doing (bad input, credentials, speaking for another organisation)
        client_error = isinstance(error, InvalidInput | Unauthenticated | Forbidden)
        fault = Fault("Client" if client_error else "Server", error.detail, detail)
        if isinstance(error, Unauthenticated):
            return Tx25Fault(fault, 401, {"WWW-Authenticate": 'Basic realm="Carrefour"'})
        if isinstance(error, Forbidden):  # a disabled institution, another's OrgUnit
            return Tx25Fault(Fault("Client", error.detail, detail), 403)
        if isinstance(error, TooManyAttempts | AuthenticationBusy):
            wait = str(error.extra.get("retry_after", 1))
            return Tx25Fault(Fault("Client", error.detail, detail), error.status,
                             {"Retry-After": wait})
        return Tx25Fault(fault, 500)


def parse(body: etree._Element) -> Search:
    search = child_named(body, "searchInformation")
    ssin, context = text(search, "ssin"), text(body, "legalContext")
    if ssin is None or context is None:
        raise MissingValue("searchInformation/ssin and legalContext are mandatory.")
    language = text(search, "language") or "fr"
    if language not in xm25.LANGUAGES:
        raise InvalidInput(f"The language {language!r} is not one of nl, fr or de.")
    history = (text(search, "history") or "false").lower() in ("true", "1")
    if not _SSIN.fullmatch(ssin):
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


def _echo(parent: etree._Element, request: etree._Element | None, name: str) -> None:
    element = child_named(request, name)
    if element is not None:
        echoed = copy.deepcopy(element)
        echoed.tail = None
        parent.append(echoed)


def _has_customer(request: etree._Element) -> bool:
    customer = child_named(request, "informationCustomer")
    return customer is not None and child_named(customer, "customerIdentification") is not None


def _customer_cbe(request: etree._Element | None) -> str | None:
    customer = child_named(request, "informationCustomer")
    cbe = text(child_named(customer, "customerIdentification"), "cbeNumber")
    return cbe if cbe and _CBE.fullmatch(cbe) else None
