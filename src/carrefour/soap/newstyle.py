"""The machinery of the CBSS "new style" SOAP services (RetrieveTIGroups v2, and Carrefour's
own ManageCarmed): no SSDN envelope, the root element qualified and its children not, the
client authenticated with HTTP Basic and named in ``informationCustomer``, the hub's ticket
and timestamps in ``informationCBSS``, business outcomes in ``status``.

Faults carry a ``CBSSFaultType``-shaped detail (``informationCBSS`` and one ``detail``:
severity, reasonCode, diagnostic, authorCode). The request's doing (bad input, credentials,
speaking for another organisation, no right to the exchange) is a ``Client`` fault, HTTP 401
or 403 for authentication and authorisation; anything else a ``Server`` fault.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree

from carrefour.auth.services import Actor
from carrefour.bootstrap import Hub
from carrefour.errors import (
    AuthenticationBusy,
    CarrefourError,
    Forbidden,
    InvalidInput,
    NoDeliberation,
    NotIntegrated,
    TooManyAttempts,
    Unauthenticated,
)
from carrefour.journal.entries import new_ticket
from carrefour.soap.call import CHANNEL, SoapCall
from carrefour.soap.codes import code_of
from carrefour.soap.envelope import Fault, child_named, sub, text
from carrefour.soap.identity import BasicVerifier, check_org_unit

_CBE = re.compile(r"\d{10}")
# The SsinType of CommonV3: register, BIS (month + 20) and BIS (month + 40) numbers.
SSIN = re.compile(
    r"\d\d(?:(?:0\d|1[0-2])(?:[0-2]\d|3[01])(?:\d\d[1-9]|\d[1-9]\d|[1-9]\d\d)"
    r"|(?:2\d|3[0-2]|4\d|5[0-2])(?:[0-2]\d|3[01])\d{3})(?:[0-8]\d|9[0-7])"
)
REFUSED = Forbidden | NotIntegrated | NoDeliberation  # no right to the exchange


class SoapFault(Exception):
    """A fault to answer, with its HTTP status and headers."""

    def __init__(self, fault: Fault, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(fault.message)
        self.fault, self.status, self.headers = fault, status, headers


@dataclass
class NewStyleExchange:
    """One request to a new-style service; a service names its namespace, its fault element
    and the request's elements its response echoes after ``legalContext``."""

    NAMESPACE: ClassVar[str]
    PREFIX: ClassVar[str]
    FAULT: ClassVar[str]
    ECHOED: ClassVar[tuple[str, ...]] = ()
    SERVICE: ClassVar[str]

    hub: Hub
    verifier: BasicVerifier
    received: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    request: etree._Element | None = None
    tickets: list[str] = field(default_factory=list)
    address: str | None = None  # the client's, for the throttling of failed authentications

    async def answer(self, body: etree._Element, authorization: str | None) -> etree._Element:
        """The response to the request ``body`` (the SOAP Body's element)."""
        raise NotImplementedError

    async def authenticated(self, authorization: str | None) -> SoapCall:
        """The call of the client the HTTP Basic credentials name, speaking for itself."""
        try:
            if not authorization:
                raise Unauthenticated(f"{self.SERVICE} needs HTTP Basic authentication.")
            caller = await self.verifier(authorization, address=self.address)
            institution = (await self.hub.reference.current()).institution(caller.institution_id)
            check_org_unit(institution, _customer_cbe(self.request))
        except CarrefourError as error:
            raise self.fault_for(error) from None
        context = text(self.request, "legalContext") or "unspecified"
        actor = Actor(caller, caller.client_id, f"legal-context:{context}"[:200],
                      channel=CHANNEL, listed_role=False)
        return SoapCall(hub=self.hub, actor=actor, institution=institution)

    def response(self, tag: str, value: str, code: str, description: str | None,
                 notes: Mapping[str, str]) -> etree._Element:
        response = etree.Element(f"{{{self.NAMESPACE}}}{tag}",
                                 nsmap={self.PREFIX: self.NAMESPACE})
        _echo(response, self.request, "informationCustomer")
        self._information_cbss(response)
        for name in ("legalContext", *self.ECHOED):
            _echo(response, self.request, name)
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

    def fault_for(self, error: CarrefourError) -> SoapFault:
        code = code_of(error)
        if not self.tickets and error.extra.get("ticket"):  # the refusal's own ticket
            self.tickets = [str(error.extra["ticket"])]
        detail = etree.Element(f"{{{self.NAMESPACE}}}{self.FAULT}",
                               nsmap={self.PREFIX: self.NAMESPACE})
        if self.request is not None and _has_customer(self.request):
            _echo(detail, self.request, "informationCustomer")
        self._information_cbss(detail)
        item = sub(detail, "", "detail")
        sub(item, "", "severity", "FATAL")
        sub(item, "", "reasonCode", code.tx25_code)
        sub(item, "", "diagnostic", f"{error.code}: {error.detail}"[:256])
        sub(item, "", "authorCode", "Carrefour")
        client_error = isinstance(error, InvalidInput | Unauthenticated | REFUSED)
        fault = Fault("Client" if client_error else "Server", error.detail, detail)
        if isinstance(error, Unauthenticated):
            return SoapFault(fault, 401, {"WWW-Authenticate": 'Basic realm="Carrefour"'})
        if isinstance(error, REFUSED):  # a disabled institution, another's OrgUnit, no right
            return SoapFault(fault, 403)
        if isinstance(error, TooManyAttempts | AuthenticationBusy):
            wait = str(error.extra.get("retry_after", 1))
            return SoapFault(Fault("Client", error.detail, detail), error.status,
                             {"Retry-After": wait})
        return SoapFault(fault, 500)


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
