"""The SOAP endpoints: HTTP in, one service call, SOAP out. ``GET ...?wsdl`` serves the WSDL
with the hub's own address."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Request, Response

from carrefour.bootstrap import Hub
from carrefour.db import describe_outage, is_outage
from carrefour.errors import CarrefourError, InvalidXml, NotFound
from carrefour.soap import carmed, connector, envelope, outage, tx25, wsdl, xmlsafe
from carrefour.soap.identity import BasicVerifier
from carrefour.soap.newstyle import NewStyleExchange, SoapFault

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

WSDL_TYPE = "text/xml; charset=utf-8"
OWN_BODY_LIMIT = frozenset({wsdl.SSDN_PATH, wsdl.TX25_PATH, wsdl.TX25_LEGACY_PATH,
                            wsdl.CARMED_PATH})
"""The paths whose bodies :func:`read_body` limits (to ``xmlsafe.MAX_BYTES``, with a Fault)."""


@router.get(wsdl.SSDN_PATH)
async def ssdn_wsdl(request: Request) -> Response:
    return Response(wsdl.ssdn_wsdl(str(request.base_url)), media_type=WSDL_TYPE)


@router.post(wsdl.SSDN_PATH)
async def send_xml(request: Request) -> Response:
    transport = connector.Transport(
        authorization=request.headers.get("authorization"),
        client_host=request.client.host if request.client else None,
        verifier=_verifier(request),
    )
    try:
        body = envelope.body_content(await read_body(request))
        answer = await connector.send_xml(_hub(request), body, transport)
    except InvalidXml as error:
        return _fault(envelope.Fault("Client", error.detail))
    except Exception as error:
        if (refused := outage.unavailable(error, "SSDN request")) is not None:
            return _fault(outage.ssdn_fault(refused))
        _log_failure("SSDN connector failure", error)
        return _fault(envelope.Fault("Server", "Unexpected internal error of the hub."))
    return Response(envelope.reply(answer), media_type=envelope.CONTENT_TYPE)


@router.get(wsdl.TX25_PATH)
@router.get(wsdl.TX25_LEGACY_PATH)
async def tx25_wsdl(request: Request) -> Response:
    return Response(wsdl.tx25_wsdl(str(request.base_url)), media_type=WSDL_TYPE)


@router.post(wsdl.TX25_PATH)
@router.post(wsdl.TX25_LEGACY_PATH)
async def retrieve_ti(request: Request) -> Response:
    exchange = tx25.Tx25Exchange(
        _hub(request), _verifier(request),
        address=request.client.host if request.client else None,
    )
    return await _new_style(request, exchange, "RetrieveTIGroups request")


@router.get(wsdl.CARMED_PATH)
async def carmed_wsdl(request: Request) -> Response:
    return Response(wsdl.carmed_wsdl(str(request.base_url)), media_type=WSDL_TYPE)


@router.post(wsdl.CARMED_PATH)
async def manage_carmed(request: Request) -> Response:
    exchange = carmed.CarmedExchange(
        _hub(request), _verifier(request),
        address=request.client.host if request.client else None,
    )
    return await _new_style(request, exchange, "ManageCarmed request")


async def _new_style(request: Request, exchange: NewStyleExchange, what: str) -> Response:
    """One request to a new-style service: its answer, or the fault it makes."""
    try:
        body = envelope.body_content(await read_body(request))
        answer = await exchange.answer(body, request.headers.get("authorization"))
    except SoapFault as fault:
        return _fault(fault.fault, status=fault.status, headers=fault.headers)
    except InvalidXml as error:
        made = exchange.fault_for(error)
        return _fault(made.fault, status=made.status)
    except Exception as error:
        if (refused := outage.unavailable(error, what)) is not None:
            made = exchange.fault_for(refused)
            return _fault(made.fault, status=made.status)
        _log_failure(f"{what} failure", error)
        made = exchange.fault_for(CarrefourError("Unexpected internal error of the hub."))
        return _fault(made.fault, status=made.status)
    return Response(envelope.reply(answer), media_type=envelope.CONTENT_TYPE)


@router.get(wsdl.SCHEMAS_PATH + "/{path:path}")
async def cbss_schema(path: str, request: Request) -> Response:
    """A CBSS schema from the folder the operator configured (``CARREFOUR_CBSS_SCHEMAS``)."""
    folder = _hub(request).settings.cbss_schemas_dir
    if folder is None:
        raise NotFound("This hub serves no CBSS schemas (CARREFOUR_CBSS_SCHEMAS is not set).")
    root = Path(folder).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or target.suffix != ".xsd" or not target.is_file():
        raise NotFound(f"No CBSS schema {path!r}.")
    return Response(target.read_bytes(), media_type=WSDL_TYPE)


async def read_body(request: Request) -> bytes:
    """The request body, refused as soon as it grows past the XML size limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > xmlsafe.MAX_BYTES:
        raise InvalidXml(f"The request is larger than {xmlsafe.MAX_BYTES} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > xmlsafe.MAX_BYTES:
            raise InvalidXml(f"The request is larger than {xmlsafe.MAX_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _fault(
    fault: envelope.Fault, *, status: int = 500, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        fault.document(), status_code=status, media_type=envelope.CONTENT_TYPE, headers=headers
    )


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _verifier(request: Request) -> BasicVerifier:
    state = request.app.state
    verifier: BasicVerifier | None = getattr(state, "soap_basic_verifier", None)
    if verifier is None:
        verifier = state.soap_basic_verifier = BasicVerifier(_hub(request))
    return verifier


def _log_failure(what: str, error: Exception) -> None:
    if is_outage(error):  # one line: the fault is the database's
        log.error("%s: the database is unavailable (%s)", what, describe_outage(error))
    else:
        log.error(what, exc_info=error)
