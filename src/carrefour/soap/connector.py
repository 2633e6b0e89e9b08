"""The SSDN connector (``sendXML`` of ``WebServiceConnector.wsdl``): one SSDNRequest in, one
SSDNReply out, each ServiceRequest answered by its own ServiceReply.

Business errors travel inside the SSDNReply; only a request that is not a readable SOAP
message (malformed or hostile XML), or one the hub cannot journal (a database outage, see
:mod:`carrefour.soap.outage`), gets a SOAP fault.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lxml import etree

from carrefour.auth.services import Actor, Caller
from carrefour.bootstrap import Hub
from carrefour.errors import (
    CarrefourError,
    InvalidXml,
    JournalUnavailable,
    MissingValue,
    UnknownService,
)
from carrefour.journal.entries import new_ticket
from carrefour.soap import identify, investigation, manage_access
from carrefour.soap.call import CHANNEL, SoapCall
from carrefour.soap.codes import Detail, error_detail
from carrefour.soap.identity import BasicVerifier, by_address, check_org_unit
from carrefour.soap.ssdn import (
    ReplyContext,
    ServiceOutcome,
    ServiceRequest,
    SsdnRequest,
    build_reply,
    parse_request,
    read_request,
)

log = logging.getLogger(__name__)

WSC = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector"

Handler = Callable[[SoapCall, etree._Element, list[Detail]], Awaitable[etree._Element]]


@dataclass(frozen=True, slots=True)
class Operation:
    version: str
    handle: Handler


OPERATIONS: dict[str, Operation] = {
    "OCMWCPASIdentifyPerson": Operation("20050930", identify.handle),
    "OCMWCPASManageAccess": Operation("20050930", manage_access.handle),
    "OCMWCPASPerformInvestigation": Operation("20080604", investigation.handle),
}


@dataclass(frozen=True, slots=True)
class Transport:
    """What the HTTP layer knows of the client."""

    authorization: str | None
    client_host: str | None
    verifier: BasicVerifier


async def send_xml(hub: Hub, body: etree._Element, transport: Transport) -> etree._Element:
    """Answer the ``wsc:xmlString`` element of a request with the reply's ``wsc:xmlString``."""
    received = dt.datetime.now(dt.UTC)
    if body.tag != f"{{{WSC}}}xmlString":
        raise InvalidXml("The SOAP Body must hold a wsc:xmlString element (operation sendXML).")
    root = read_request(body.text or "")
    reply = await _answer(hub, root, transport, received)
    element = etree.Element(f"{{{WSC}}}xmlString", nsmap={"wsc": WSC})
    element.text = etree.tostring(reply, encoding="unicode")
    return element


async def _answer(
    hub: Hub, root: etree._Element, transport: Transport, received: dt.datetime
) -> etree._Element:
    request: SsdnRequest | None = None
    try:
        request = parse_request(root)
        call = await _call(hub, request, transport)
    except JournalUnavailable:  # not carried out: a fault (see carrefour.soap.outage)
        raise
    except CarrefourError as error:  # the whole message is refused: no ServiceReply
        ticket = new_ticket()
        log.info("SSDN request refused (%s), ticket %s: %s", error.code, ticket, error.detail)
        context = ReplyContext(
            ticket=ticket, received=received, request=request, details=[error_detail(error)]
        )
        return build_reply(context, [])
    outcomes = [await _serve(call, service) for service in request.services]
    tickets = [t for o in outcomes for t in o.tickets]
    context = ReplyContext(ticket=tickets[0] if tickets else new_ticket(), received=received,
                           request=request)
    return build_reply(context, outcomes)


async def _call(hub: Hub, request: SsdnRequest, transport: Transport) -> SoapCall:
    caller = await _caller(hub, request, transport)
    snapshot = await hub.reference.current()
    institution = snapshot.institution(caller.institution_id)
    check_org_unit(institution, request.user.org_unit)
    actor = Actor(
        caller, request.user.user_id, request.user.email, channel=CHANNEL, listed_role=False
    )
    return SoapCall(hub=hub, actor=actor, institution=institution)


async def _caller(hub: Hub, request: SsdnRequest, transport: Transport) -> Caller:
    if transport.authorization:
        return await transport.verifier(transport.authorization, address=transport.client_host)
    return await by_address(hub, request.user.org_unit, transport.client_host)


async def _serve(call: SoapCall, service: ServiceRequest) -> ServiceOutcome:
    operation = OPERATIONS.get(service.service_id)
    version = operation.version if operation else "00000000"
    outcome = ServiceOutcome(service_id=service.service_id or "unknown", version=version)
    first_ticket = len(call.tickets)
    try:
        if operation is None or service.version != operation.version:
            raise UnknownService(
                f"The hub does not answer the service {service.service_id!r} in version "
                f"{service.version!r}; it answers: "
                + ", ".join(f"{k} {o.version}" for k, o in OPERATIONS.items())
            )
        if service.body is None:
            raise MissingValue(f"The ServiceRequest {service.service_id} has no body.")
        outcome.body = await operation.handle(call, service.body, outcome.details)
    except JournalUnavailable:
        raise
    except CarrefourError as error:
        outcome.details.append(error_detail(error))
    outcome.tickets = call.tickets[first_ticket:]
    return outcome


__all__ = ["OPERATIONS", "Transport", "send_xml"]
