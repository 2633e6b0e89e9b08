"""The SSDN envelope: reading an ``SSDNRequest`` and writing its ``SSDNReply``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from carrefour.errors import InvalidInput, InvalidXml, MissingValue
from carrefour.soap import xmlsafe
from carrefour.soap.codes import (
    CONTEXT_ERROR,
    CONTEXT_WARNING,
    TICKETS,
    Detail,
    Severity,
)
from carrefour.soap.envelope import child_named, sub, text

SERVICE = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Service"
COMMON = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Common"

_SSIN = re.compile(r"\d{11}")
_EMAIL = re.compile(r".+@.+")
_TIMESTAMP = re.compile(r"[12]\d{3}[01]\d[0-3]\dT[0-2]\d[0-5]\d[0-5]\d")
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True, slots=True)
class AuthorizedUser:
    user_id: str
    email: str
    org_unit: str | None
    matrix_id: str
    matrix_sub_id: str | None


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    service_id: str
    version: str
    body: etree._Element | None


@dataclass(frozen=True, slots=True)
class SsdnRequest:
    user: AuthorizedUser
    reference: str | None
    time_request: str | None
    services: tuple[ServiceRequest, ...]


@dataclass(slots=True)
class ServiceOutcome:
    service_id: str
    version: str
    details: list[Detail] = field(default_factory=list)
    body: etree._Element | None = None
    tickets: list[str] = field(default_factory=list)


def read_request(xml_string: str) -> etree._Element:
    """The ``SSDNRequest`` element of an ``xmlString`` (escaped text or CDATA alike)."""
    root = xmlsafe.parse(xml_string)
    if root.tag != f"{{{SERVICE}}}SSDNRequest":
        raise InvalidXml("The xmlString does not hold an SSDNRequest document.")
    return root


def parse_request(root: etree._Element) -> SsdnRequest:
    context = child_named(root, "RequestContext")
    message = child_named(context, "Message")
    services = tuple(
        ServiceRequest(
            service_id=text(element, "ServiceId") or "",
            version=text(element, "Version") or "",
            body=_body(element),
        )
        for element in root
        if xmlsafe.local_name(element) == "ServiceRequest"
    )
    if not services:
        raise MissingValue("The SSDNRequest holds no ServiceRequest.")
    return SsdnRequest(
        user=_authorized_user(child_named(context, "AuthorizedUser")),
        reference=text(message, "Reference"),
        time_request=text(message, "TimeRequest"),
        services=services,
    )


def _body(service: etree._Element) -> etree._Element | None:
    named = {"ServiceId", "Version"}
    rest = [c for c in service if isinstance(c.tag, str) and xmlsafe.local_name(c) not in named]
    return rest[0] if rest else None


def _authorized_user(element: etree._Element | None) -> AuthorizedUser:
    if element is None:
        raise MissingValue("The RequestContext has no AuthorizedUser.")
    user = AuthorizedUser(
        user_id=_required(element, "UserID"),
        email=_required(element, "Email"),
        org_unit=text(element, "OrgUnit"),
        matrix_id=_required(element, "MatrixID"),
        matrix_sub_id=text(element, "MatrixSubID"),
    )
    if not _SSIN.fullmatch(user.user_id):
        raise InvalidInput("AuthorizedUser/UserID must be 11 digits (an SSIN or a program id).")
    if not _EMAIL.fullmatch(user.email) or len(user.email) > 100:
        raise InvalidInput("AuthorizedUser/Email is not an e-mail address.")
    if not _INTEGER.fullmatch(user.matrix_id) or (
        user.matrix_sub_id is not None and not _INTEGER.fullmatch(user.matrix_sub_id)
    ):
        raise InvalidInput("AuthorizedUser/MatrixID and MatrixSubID must be whole numbers.")
    return user


def _required(parent: etree._Element, name: str) -> str:
    value = text(parent, name)
    if value is None:
        raise MissingValue(f"{xmlsafe.local_name(parent)}/{name} is missing or empty.")
    return value


# --- the reply -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyContext:
    ticket: str
    received: dt.datetime
    request: SsdnRequest | None = None
    details: Sequence[Detail] = ()


def build_reply(context: ReplyContext, outcomes: Sequence[ServiceOutcome]) -> etree._Element:
    root = etree.Element(f"{{{SERVICE}}}SSDNReply", nsmap={None: SERVICE, "c": COMMON})
    reply_context = sub(root, SERVICE, "ReplyContext")
    result_summary(reply_context, [*context.details, *_context_details(outcomes)])
    if context.request is not None:
        _echo_user(reply_context, context.request.user)
    _message(reply_context, context)
    for outcome in outcomes:
        _service_reply(root, outcome)
    return root


def result_summary(parent: etree._Element, details: Sequence[Detail]) -> None:
    severities = {d.severity for d in details}
    if Severity.ERROR in severities:
        ok, code = "NO", 10000
    elif Severity.WARNING in severities:
        ok, code = "WARNING", 1
    else:
        ok, code = "YES", 0
    summary = sub(parent, COMMON, "ResultSummary")
    summary.set("ok", ok)
    sub(summary, COMMON, "ReturnCode", code)
    for detail in details[:30]:
        _detail(summary, detail)


def _detail(summary: etree._Element, detail: Detail) -> None:
    element = sub(summary, COMMON, "Detail")
    sub(element, COMMON, "Severity", detail.severity.value)
    sub(element, COMMON, "ReasonCode", detail.reason)
    sub(element, COMMON, "Diagnostic", detail.diagnostic)
    sub(element, COMMON, "AuthorCodeList", "CBSS")
    for field_name, field_value in detail.information[:5]:
        information = sub(element, COMMON, "Information")
        sub(information, COMMON, "FieldName", field_name)
        sub(information, COMMON, "FieldValue", field_value)


def _context_details(outcomes: Sequence[ServiceOutcome]) -> list[Detail]:
    severities = {d.severity for o in outcomes for d in o.details}
    if Severity.ERROR in severities:
        return [Detail(Severity.ERROR, CONTEXT_ERROR, "A service request produced an error.")]
    if Severity.WARNING in severities:
        return [Detail(Severity.WARNING, CONTEXT_WARNING, "A service request produced a warning.")]
    return []


def _echo_user(parent: etree._Element, user: AuthorizedUser) -> None:
    element = sub(parent, SERVICE, "AuthorizedUser")
    sub(element, SERVICE, "UserID", user.user_id)
    sub(element, SERVICE, "Email", user.email)
    if user.org_unit:
        sub(element, SERVICE, "OrgUnit", user.org_unit)
    sub(element, SERVICE, "MatrixID", user.matrix_id)
    if user.matrix_sub_id:
        sub(element, SERVICE, "MatrixSubID", user.matrix_sub_id)


def _message(parent: etree._Element, context: ReplyContext) -> None:
    message = sub(parent, SERVICE, "Message")
    request = context.request
    if request is not None and request.reference:
        sub(message, SERVICE, "Reference", request.reference)
    sub(message, SERVICE, "Ticket", context.ticket)
    if request is not None and request.time_request and _TIMESTAMP.fullmatch(request.time_request):
        sub(message, SERVICE, "TimeRequest", request.time_request)
    sub(message, SERVICE, "TimeReceive", timestamp(context.received))
    sub(message, SERVICE, "TimeResponse", timestamp(dt.datetime.now(dt.UTC)))


def _service_reply(root: etree._Element, outcome: ServiceOutcome) -> None:
    element = sub(root, SERVICE, "ServiceReply")
    details = list(outcome.details)
    for start in range(0, len(outcome.tickets), 5):
        chunk = outcome.tickets[start : start + 5]
        information = tuple(("ticket", t) for t in chunk)
        details.append(Detail(Severity.INFORMATION, TICKETS, "Journal tickets", information))
    result_summary(element, details)
    sub(element, SERVICE, "ServiceId", outcome.service_id)
    sub(element, SERVICE, "Version", outcome.version)
    if outcome.body is not None:
        element.append(outcome.body)


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
