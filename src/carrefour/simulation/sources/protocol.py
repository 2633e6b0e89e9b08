"""The source protocol as seen from a source (``docs/source-protocol.md``): reading a
consultation, checking it against the catalogue, and the dispatch to the source's handlers.

Framework-free: the HTTP adapter (:mod:`carrefour.simulation.sources.app`) maps the errors
raised here to problem documents.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from carrefour.catalogue.model import Catalogue, default_catalogue, validate_parameters
from carrefour.errors import InvalidInput, Unauthenticated, UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss

NOT_FOUND = SourceAnswer(found=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceIdentity:
    """Who the source is: its kind, its name, and for a mutuality its national number."""

    kind: str
    name: str
    number: int | None = None


Handler = Callable[[Connection, SourceRequest, SourceIdentity], SourceAnswer]


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A simulated source: its identity, its database and the services it answers."""

    identity: SourceIdentity
    engine: Engine
    handlers: Mapping[str, Handler]
    catalogue: Catalogue = field(default_factory=default_catalogue)

    def answer(self, request: SourceRequest) -> SourceAnswer:
        """The answer to a consultation; raises the protocol's errors."""
        handler = self._handler(request.service, request.version)
        checked = self.check(request)
        with self.engine.connect() as connection:
            return handler(connection, checked, self.identity)

    def check(self, request: SourceRequest) -> SourceRequest:
        """The consultation with its parameters checked against the service's declaration."""
        service = self.catalogue.get(request.service, request.version)
        parameters = validate_parameters(service, request.parameters)
        niss = request.niss
        if service.needs_niss:
            if niss is None:
                raise InvalidInput(f"The service '{service.name}' needs the person's NISS.")
            niss = parse_niss(niss).value
        return SourceRequest(ticket=request.ticket, service=request.service,
                             version=request.version, niss=niss, parameters=parameters,
                             client=request.client)

    def _handler(self, service: str, version: int) -> Handler:
        handler = self.handlers.get(service)
        if handler is None:
            raise UnknownService(
                f"The {self.identity.kind} source '{self.identity.name}' does not answer the "
                f"service '{service}'; it answers: {', '.join(sorted(self.handlers))}."
            )
        self.catalogue.get(service, version)  # an unknown version is an unknown service
        return handler


def authorize(header: str | None, token: str) -> None:
    """Check the ``Authorization: Bearer`` header against the source's shared token."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        raise Unauthenticated("The source token is missing or wrong.")


def parse_consultation(body: bytes) -> SourceRequest:
    """The consultation in a request body; raises :class:`InvalidInput` on a malformed one."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidInput("The body must be a JSON object.")
    return SourceRequest(
        ticket=_member(document, "ticket", str),
        service=_member(document, "service", str),
        version=_version(document.get("version")),
        niss=_optional_text(document.get("niss")),
        parameters=_parameters(document.get("parameters")),
        client=_optional_text(document.get("client"), "client"),
    )


def _member(document: Mapping[str, Any], name: str, kind: type[str]) -> str:
    value = document.get(name)
    if not isinstance(value, kind) or not value:
        raise InvalidInput(f"The member '{name}' is required and must be a non-empty string.")
    return value


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("The member 'version' is required and must be an integer.")
    return value


def _optional_text(value: Any, name: str = "niss") -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput(f"The member '{name}' must be a string or null.")


def _parameters(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("The member 'parameters' must be a JSON object.")
    return value


def found(data: dict[str, Any]) -> SourceAnswer:
    return SourceAnswer(found=True, data=data)


def iso(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD`` (None stays None)."""
    return None if value is None else str(value.isoformat())
