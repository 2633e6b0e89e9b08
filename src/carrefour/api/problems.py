"""Errors as RFC 9457 problem documents (``application/problem+json``)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from carrefour.db import describe_outage, is_outage
from carrefour.errors import (
    ALL_ERRORS,
    CarrefourError,
    JournalUnavailable,
    NotFound,
    UnreadableBody,
)
from carrefour.i18n.languages import negotiate
from carrefour.i18n.problems import translate_detail, translate_title
from carrefour.journal.chain import UNAVAILABLE
from carrefour.journal.entries import new_ticket

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem(
    *,
    code: str,
    title: str,
    status: int,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    language: str = "en",
) -> Response:
    """A problem document; ``title`` and ``detail`` (written in English) are translated into
    ``language`` (fr, nl, de) where the catalogues know them."""
    if language != "en":
        title, detail = translate_title(title, language), translate_detail(detail, language)
    body = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail}
    body["code"] = code
    body.update(extra or {})
    return Response(
        orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE,
        headers={**(headers or {}), "Content-Language": language},
    )


def language_of(request: Request) -> str:
    """The language of the problem: the first of ``Accept-Language`` among fr, nl, de, en."""
    return negotiate(request.headers.get("accept-language"))


def problem_fields(error: CarrefourError) -> dict[str, Any]:
    """The members a refusal adds to its problem document (its ticket, a retry delay...)."""
    return {k: v for k, v in error.extra.items() if isinstance(v, str | int | float)}


def retry_headers(error: CarrefourError) -> dict[str, str]:
    wait = error.extra.get("retry_after")
    found = {"Retry-After": str(wait)} if isinstance(wait, int) else {}
    content_range = error.extra.get("content_range")  # 416: the size of the file
    if isinstance(content_range, str):
        found["Content-Range"] = content_range
    return found


async def _carrefour_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, CarrefourError)
    return problem(
        language=language_of(request),
        code=error.code,
        title=error.title,
        status=error.status,
        detail=error.detail,
        extra=problem_fields(error),
        headers=retry_headers(error),
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [_describe(e) for e in error.errors()]
    ticket = getattr(request.state, "ticket", None)  # an operator's call journals it
    return problem(
        language=language_of(request),
        code="invalid-input",
        title="The request is not valid",
        status=422,
        detail="; ".join(problems),
        extra={"errors": problems, **({"ticket": ticket} if ticket else {})},
    )


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    return f"{where or 'body'}: {error.get('msg', 'invalid value')}"


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if isinstance(error.__cause__, RecursionError):  # the framework's JSON parser gave up
        return problem(
            code="invalid-input",
            title="The request is not valid",
            status=422,
            detail="The JSON body is nested too deeply.",
        )
    code = _HTTP_CODES.get(error.status_code, "http-error")
    return problem(
        language=language_of(request),
        code=code, title=str(error.detail), status=error.status_code, detail=str(error.detail)
    )


_HTTP_CODES = {400: UnreadableBody.code, 404: NotFound.code, 405: "method-not-allowed"}


async def _database_error(request: Request, error: Exception) -> Response:
    """The database met before any use case took the request in hand (authentication, the
    reference tables): an outage is the journal's unavailability, with a ticket to quote
    (the operator's call's own, else one for this attempt); one line in the log."""
    if not is_outage(error):
        return await _unexpected(request, error)
    ticket = getattr(request.state, "ticket", None) or new_ticket()
    log.error("%s %s refused: the database is unavailable (%s); ticket %s",
              request.method, request.url.path, describe_outage(error), ticket)
    refused = JournalUnavailable(UNAVAILABLE)
    return problem(code=refused.code, title=refused.title, status=refused.status,
                   detail=refused.detail, extra={"ticket": ticket})


async def _unexpected(_request: Request, error: Exception) -> Response:
    log.exception("unexpected error", exc_info=error)
    return problem(
        code="internal-error",
        title="Internal error",
        status=500,
        detail="The hub met an unexpected error; quote the time of your request to support.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(CarrefourError, _carrefour_error)
    app.add_exception_handler(DBAPIError, _database_error)  # answered here, not re-raised
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

    @app.get("/problems/{code}", include_in_schema=False)
    async def describe(code: str) -> dict[str, Any]:
        for error in ALL_ERRORS:
            if error.code == code:
                return {"code": code, "title": error.title, "status": error.status}
        return {"code": code, "title": "Unknown problem type"}
