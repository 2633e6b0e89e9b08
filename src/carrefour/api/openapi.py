"""The OpenAPI document, with every operation's error responses.

Each operation declares the RFC 9457 problems it may answer (``application/problem+json``, the
``Problem`` schema), decided in this one place from what the route itself declares: its security
requirement, its request body, its path parameters and its method. A route added anywhere is
documented the same way; a route answering a problem these facts do not imply names its status
in ``responses=`` (e.g. 502 and 504 for a route that asks the authentic sources), and gets the
problem content here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from carrefour.api.deps import TOKEN_URL
from carrefour.api.problems import MEDIA_TYPE
from carrefour.api.service_schemas import with_services

PROBLEM = "Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM,
    "type": "object",
    "description": "An RFC 9457 problem document; `code` is stable, `detail` says what was "
    "wrong with this request, `ticket` names the journal entry of a refused exchange.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/invalid-niss"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                 "examples": ["invalid-niss"]},
        "ticket": {"type": "string", "description": "The journal ticket of the exchange"},
        "errors": {"type": "array", "items": {"type": "string"},
                   "description": "Each invalid part of the request"},
    },
    "additionalProperties": True,
}

TITLES = {
    400: "The request body cannot be read",
    401: "Authentication is required, or the credentials are not valid",
    403: "The caller may not do this (scope, finality, deliberation)",
    404: "Not found (person, institution, service, resource)",
    409: "The request conflicts with the current state",
    413: "The request body is too large",
    422: "The request is not valid",
    429: "Too many requests; retry after the time the Retry-After header says",
    502: "The authentic source is unavailable",
    503: "The hub cannot journal the exchange now; nothing was carried out",
    504: "The authentic source did not answer in time",
}
WRITES = frozenset({"post", "put", "patch", "delete"})
METHODS = frozenset({"get", "head", "options", "trace", *WRITES})


def install(app: FastAPI) -> None:
    """Serve the decorated document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document = with_problems(document)
            hub = getattr(app.state, "hub", None)
            app.openapi_schema = with_services(document, hub.catalogue) if hub else document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every operation's problem responses and the ``Problem`` schema."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                _declare_problems(operation, problem_statuses(path, method, operation))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[PROBLEM] = PROBLEM_SCHEMA
    _drop_fastapi_validation_schemas(schemas)
    return document


def problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The problems an operation may answer, from what its route declares."""
    parameters = operation.get("parameters", [])
    protected = bool(operation.get("security"))
    statuses: set[int] = set()
    if parameters:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if protected or path == TOKEN_URL:
        statuses |= {401, 422, 429}
    if protected:
        statuses |= {403, 404, 503}  # 404: also a token whose institution left the directory
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if protected and method in WRITES:
        statuses.add(409)
    return statuses


def _declare_problems(operation: dict[str, Any], statuses: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
    for status in sorted(statuses | declared):
        described = responses.get(str(status), {})
        own = {  # a body of the route's own (the token endpoint's RFC 6749 errors) stays
            media: content for media, content in described.get("content", {}).items()
            if not str(content.get("schema", {}).get("$ref", "")).endswith("ValidationError")
        }
        responses[str(status)] = {
            "description": described.get("description") or TITLES.get(status, "Problem"),
            "content": {
                **own,
                MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}},
            },
        }


def _drop_fastapi_validation_schemas(schemas: dict[str, Any]) -> None:
    """FastAPI's own 422 schemas: every 422 is a problem document now, none refers to them."""
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
