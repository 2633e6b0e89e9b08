"""The HTTP face of the simulated Mediprima: the source protocol (``POST /v1/consult``,
``GET /v1/health``) over its own, writable database, and the publication of each calculation
to the hub's signal function (``POST /v1/mutations``, type ``mediprima-calculation``) once the
answer has left.

Registrations are serialised (one lock): the overlap check and the insert of a version are one
step. Publishing needs the hub's address and Mediprima's client credentials (scope
``publish``); without them nothing is published.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, create_engine, func, select
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carrefour.errors import CarrefourError, UnknownService
from carrefour.exchange.ports import SourceRequest
from carrefour.simulation.sources import mediprima
from carrefour.simulation.sources.http import JSON, problem
from carrefour.simulation.sources.protocol import (
    Source,
    SourceIdentity,
    authorize,
    parse_consultation,
)

log = logging.getLogger(__name__)
KIND = "mediprima"
PUBLISHER_ENV = ("HUB_URL", "CLIENT_ID", "CLIENT_SECRET")
MUTATION_TYPE = "mediprima-calculation"


@dataclass
class Publisher:
    """Where and as whom Mediprima publishes its calculations."""

    hub_url: str
    client_id: str
    client_secret: str
    _token: str | None = field(default=None, repr=False)
    _order: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def publish(self, notification: mediprima.Notification) -> None:
        """Publish one calculation; one at a time, in the order of the registrations."""
        async with self._order:
            await self._publish(notification)

    async def _publish(self, notification: mediprima.Notification) -> None:
        body = {"type": MUTATION_TYPE, "niss": notification.niss,
                "source_id": notification.source_id,
                "effective_date": notification.effective_date, "data": notification.data}
        async with httpx.AsyncClient(base_url=self.hub_url, timeout=10) as client:
            for _ in range(2):  # a token that expired is fetched again, once
                headers = {"Authorization": f"Bearer {await self._bearer(client)}"}
                response = await client.post("/v1/mutations", json=body, headers=headers)
                if response.status_code != 401:
                    break
                self._token = None
        if response.status_code >= 400:
            log.warning("the hub refused the calculation %s: %s", notification.source_id,
                        response.text)

    async def _bearer(self, client: httpx.AsyncClient) -> str:
        if self._token is None:
            response = await client.post("/oauth/token", data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret})
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token


def publisher_from_env() -> Publisher | None:
    """The publisher named by ``CARREFOUR_MEDIPRIMA_HUB_URL``, ``CARREFOUR_MEDIPRIMA_CLIENT_ID``
    and ``CARREFOUR_MEDIPRIMA_CLIENT_SECRET`` (None unless all three are set)."""
    given = [os.environ.get(f"CARREFOUR_MEDIPRIMA_{name}") for name in PUBLISHER_ENV]
    if not all(given):
        return None
    hub_url, client_id, secret = (str(value) for value in given)
    return Publisher(hub_url=hub_url, client_id=client_id, client_secret=secret)


def create_mediprima_app(*, database_url: str, token: str, name: str = "Mediprima",
                         publisher: Publisher | None = None) -> Starlette:
    """The ASGI application of the simulated Mediprima (its tables are created if missing)."""
    engine = mediprima_engine(database_url)
    mediprima.metadata.create_all(engine)
    endpoints = _Endpoints(engine, token, name, publisher)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    routes = [Route("/v1/consult", endpoints.consult, methods=["POST"]),
              Route("/v1/health", endpoints.health, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


def mediprima_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False})
    return create_engine(url, pool_pre_ping=True)


class _Endpoints:
    def __init__(self, engine: Engine, token: str, name: str,
                 publisher: Publisher | None) -> None:
        self.engine, self.token, self.name, self.publisher = engine, token, name, publisher
        self.checker = Source(identity=SourceIdentity(kind=KIND, name=name), engine=engine,
                              handlers={})
        self.lock = threading.Lock()

    async def consult(self, request: Request) -> Response:
        try:
            authorize(request.headers.get("authorization"), self.token)
            asked = self._checked(parse_consultation(await request.body()))
            answer, notification = await run_in_threadpool(self._answer, asked)
        except CarrefourError as error:
            return problem(error)
        except Exception:
            log.exception("Mediprima failed to answer")
            return problem(CarrefourError("The source met an unexpected error."))
        task = None
        if notification is not None and self.publisher is not None:
            task = BackgroundTask(self.publisher.publish, notification)
        body = {"found": answer.found, "data": answer.data} if answer.found else {"found": False}
        return Response(orjson.dumps(body), media_type=JSON, background=task)

    def _checked(self, asked: SourceRequest) -> SourceRequest:
        if asked.service not in mediprima.OPERATIONS:
            raise UnknownService(f"Mediprima does not answer the service '{asked.service}'; "
                                 f"it answers: {', '.join(sorted(mediprima.OPERATIONS))}.")
        checked = self.checker.check(asked)
        if checked.service not in mediprima.CLIENTLESS:
            mediprima.client_of(checked)
        return checked

    def _answer(self, asked: SourceRequest) -> mediprima.Outcome:
        with self.lock, self.engine.begin() as connection:
            return mediprima.handle(connection, asked)

    async def health(self, _request: Request) -> Response:
        body: dict[str, Any] = {"status": "ok", "kind": KIND, "name": self.name}
        body["persons"] = await run_in_threadpool(self._persons)
        return Response(orjson.dumps(body), media_type=JSON)

    def _persons(self) -> int:
        with self.engine.connect() as connection:
            query = select(func.count(mediprima.versions.c.niss.distinct()))
            return int(connection.execute(query).scalar_one())
