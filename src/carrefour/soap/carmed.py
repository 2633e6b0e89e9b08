"""ManageCarmed v1: the SOAP face of Mediprima's medical aid decisions (open, modify, stop,
consult, evaluate, evaluate a modified decision, history), for a CPAS authenticated with HTTP
Basic. Each request is one operation of :class:`~carrefour.mediprima.services.Mediprima`: the
same preventive control, journal and ticket as through REST, on the ``soap`` channel.

The messages are Carrefour's own (``schemas/ManageCarmedV1.xsd``; the CBSS publishes none in
Carrefour's reference material), in the style of the CBSS new-style services
(:mod:`carrefour.soap.newstyle`). Outcomes travel in ``status``: ``DATA_FOUND`` with the
``result``; Mediprima's refusals and the decision's rules as ``NO_RESULT`` (an unknown decision
as ``NO_DATA_FOUND``) with the error's code in ``description``. A caller without the right to
the operation (no file on the person, no deliberation, another organisation) gets a ``Client``
fault, HTTP 403; malformed requests a ``Client`` fault; technical errors a ``Server`` fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from carrefour.errors import CarrefourError, InvalidInput, InvalidNiss, InvalidXml, MissingValue
from carrefour.exchange.services import ConsultationResult, EndUser
from carrefour.mediprima import domain
from carrefour.mediprima.services import Asker, Mediprima
from carrefour.soap.call import CHANNEL, SoapCall
from carrefour.soap.codes import DATA_FOUND, TX25_SUCCESS, code_of
from carrefour.soap.envelope import child_named, text
from carrefour.soap.newstyle import REFUSED, SSIN, NewStyleExchange
from carrefour.soap.wsdl import CARMED_NAMESPACE, CARMED_OPERATIONS
from carrefour.soap.xmlsafe import local_name

MC = CARMED_NAMESPACE

Run = Callable[[Mediprima, Asker, etree._Element], Awaitable[ConsultationResult]]


def _on_decision(
    operation: Callable[[Mediprima, Asker, domain.Decision], Awaitable[ConsultationResult]],
) -> Run:
    """An operation on the decision the request carries (open, modify, evaluate...)."""

    async def run(mediprima: Mediprima, asker: Asker, body: etree._Element
                  ) -> ConsultationResult:
        return await operation(mediprima, asker, decision_of(body))

    return run


async def _stop(mediprima: Mediprima, asker: Asker, body: etree._Element
                ) -> ConsultationResult:
    return await mediprima.stop(asker, _required(body, "reference"),
                                _date(_required(body, "endDate"), "endDate"))


async def _consult(mediprima: Mediprima, asker: Asker, body: etree._Element
                   ) -> ConsultationResult:
    return await mediprima.consult(asker, _required(body, "reference"))


async def _history(mediprima: Mediprima, asker: Asker, _body: etree._Element
                   ) -> ConsultationResult:
    return await mediprima.history(asker)


OPERATIONS: dict[str, Run] = dict(zip(CARMED_OPERATIONS, (
    _on_decision(Mediprima.open), _on_decision(Mediprima.modify), _stop, _consult,
    _on_decision(Mediprima.evaluate), _on_decision(Mediprima.evaluate_modified), _history),
    strict=True))
"""The operations by name: each is asked as ``{name}Request`` and answered ``{name}Response``."""


@dataclass
class CarmedExchange(NewStyleExchange):
    NAMESPACE: ClassVar[str] = MC
    PREFIX: ClassVar[str] = "mc"
    FAULT: ClassVar[str] = "manageCarmedFault"
    SERVICE: ClassVar[str] = "ManageCarmed"

    async def answer(self, body: etree._Element, authorization: str | None) -> etree._Element:
        name = _operation(body)
        self.request = body
        call = await self.authenticated(authorization)
        try:
            asker = await _asker(call, body)
        except CarrefourError as error:  # not even valid against the schema: a fault
            raise self.fault_for(error) from None
        try:
            result = await OPERATIONS[name](Mediprima(self.hub.exchange, channel=CHANNEL),
                                            asker, body)
        except CarrefourError as error:
            if error.extra.get("ticket"):
                self.tickets = [str(error.extra["ticket"])]
            return self._refusal(name, error)
        self.tickets = [result.ticket]
        response = self.response(f"{name}Response", DATA_FOUND, TX25_SUCCESS, None, {})
        write_result(response, result.data)
        return response

    def _refusal(self, name: str, error: CarrefourError) -> etree._Element:
        code = code_of(error)
        if code.tx25_value is None or isinstance(error, REFUSED):
            raise self.fault_for(error)
        return self.response(f"{name}Response", code.tx25_value, code.tx25_code,
                             f"{error.code}: {error.detail}", {})


def _operation(body: etree._Element) -> str:
    name = local_name(body).removesuffix("Request")
    if body.tag != f"{{{MC}}}{name}Request" or name not in OPERATIONS:
        raise InvalidXml("The SOAP Body must hold a ManageCarmed request: "
                         + ", ".join(f"{n}Request" for n in OPERATIONS) + f" (namespace {MC}).")
    return name


async def _asker(call: SoapCall, body: etree._Element) -> Asker:
    """Who asks about whom, in the quality code given, else of the caller's own file."""
    ssin = _required(body, "ssin")
    if not SSIN.fullmatch(ssin):
        raise InvalidNiss(f"The ssin {ssin!r} is not an SSIN.")
    given = text(body, "qualityCode")
    if given is not None and not (given.isascii() and given.isdecimal() and len(given) <= 3):
        raise InvalidInput(f"qualityCode {given[:20]!r} is not a quality code (0 to 999).")
    capacity = int(given) if given is not None else await call.capacity(ssin)
    actor = call.actor
    return Asker(caller=actor.caller, niss=ssin, capacity=capacity,
                 end_user=EndUser(actor.end_user_id, actor.end_user_role, listed_role=False))


def decision_of(body: etree._Element) -> domain.Decision:
    """The request's ``decision``, checked by Mediprima's rules (``invalid-period``...)."""
    element = child_named(body, "decision")
    period = child_named(element, "period")
    ceiling = text(element, "ceiling")
    if ceiling is not None and not (ceiling.isascii() and ceiling.isdecimal()):
        raise InvalidInput(f"decision/ceiling {ceiling[:20]!r} is not a whole number of euros.")
    return domain.decision(
        reference=_required(element, "reference"),
        start=_date(_required(period, "startDate"), "startDate"),
        end=_date(_required(period, "endDate"), "endDate"),
        coverage=_required(element, "coverage"),
        ceiling=int(ceiling) if ceiling is not None else None,
    )


def _required(parent: etree._Element | None, name: str) -> str:
    value = text(parent, name)
    if value is None:
        raise MissingValue(f"{name} is mandatory.")
    return value


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} {value[:20]!r} is not a date written YYYY-MM-DD.") from None


# --- the result ------------------------------------------------------------------------------
_DECISION = (("id", "id"), ("reference", "reference"), ("version", "version"))
_DECISION_TAIL = (("coverage", "coverage"), ("ceiling", "ceiling"), ("status", "status"),
                  ("action", "action"))
_CALCULATION = (("decision", "decision"), ("version", "version"), ("coveredDays", "covered_days"),
                ("stateSharePercent", "state_share_percent"),
                ("cpasSharePercent", "cpas_share_percent"), ("ceiling", "ceiling"))


def write_result(response: etree._Element, data: Mapping[str, Any]) -> None:
    """Mediprima's answer, as the deliberation granted it, in the schema's order."""
    result = etree.SubElement(response, "result")
    _value(result, "cpas", data.get("cpas"))
    _value(result, "outcome", data.get("outcome"))
    _value(result, "replayed", data.get("replayed"))
    decisions = data.get("decisions") or ([data["decision"]] if data.get("decision") else [])
    for decision in decisions:
        _decision(result, decision)
    if data.get("calculation"):
        _fields(etree.SubElement(result, "calculation"), data["calculation"], _CALCULATION)
    refusal = data.get("refusal")
    if isinstance(refusal, Mapping):
        element = etree.SubElement(result, "refusal")
        _value(element, "code", refusal.get("code"))
        _value(element, "detail", refusal.get("detail"))


def _decision(parent: etree._Element, decision: Mapping[str, Any]) -> None:
    element = etree.SubElement(parent, "decision")
    _fields(element, decision, _DECISION)
    period = etree.SubElement(element, "period")
    _value(period, "startDate", decision.get("start"))
    _value(period, "endDate", decision.get("end"))
    _fields(element, decision, _DECISION_TAIL)


def _fields(element: etree._Element, data: Mapping[str, Any],
            names: tuple[tuple[str, str], ...]) -> None:
    for tag, key in names:
        _value(element, tag, data.get(key))


def _value(parent: etree._Element, tag: str, value: Any) -> None:
    if value is None:
        return
    written = ("true" if value else "false") if isinstance(value, bool) else str(value)
    etree.SubElement(parent, tag).text = written
