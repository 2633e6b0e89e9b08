"""The HTTP face of a simulated source: ``POST /v1/consult`` and ``GET /v1/health``.

Plain Starlette and orjson, SQLAlchemy Core on indexed tables: a consultation costs a few
hundred microseconds. On SQLite a query takes tens of microseconds, so it runs on the event
loop itself (a thread hop would cost more than the query); other databases go to a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvicorn
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carrefour.errors import CarrefourError
from carrefour.exchange.ports import SourceAnswer
from carrefour.simulation.network import MUTUALITY, NATIONAL_REGISTER, ONEM
from carrefour.simulation.sources import (
    address_search,
    declared,
    limosa,
    mutuality,
    national_register,
    onem,
    outbox,
    records,
)
from carrefour.simulation.sources.http import JSON, problem
from carrefour.simulation.sources.kinds import DECLARED_SERVICES, LIMOSA, MEDIPRIMA, RECORD_KINDS
from carrefour.simulation.sources.mediprima_app import create_mediprima_app
from carrefour.simulation.sources.mediprima_app import publisher_from_env as mediprima_publisher
from carrefour.simulation.sources.protocol import (
    Handler,
    Source,
    SourceIdentity,
    authorize,
    parse_consultation,
)
from carrefour.simulation.sources.publisher import HubPublisher, Outcome, Publisher
from carrefour.simulation.sources.schema import PERSON_TABLES

log = logging.getLogger(__name__)
# Seconds between the acknowledgement of a declaration and the source's decision on it
# (``CARREFOUR_SOURCE_DECISION_DELAY_SECONDS``).
DECISION_DELAY = 1.0
NO_PUBLISHER_POLL = 1.0  # seconds between two looks for a publisher given after the start


HANDLERS: dict[str, Mapping[str, Handler]] = {
    NATIONAL_REGISTER: {**national_register.HANDLERS, **address_search.HANDLERS,
                        **records.handlers(NATIONAL_REGISTER)},
    ONEM: {**onem.HANDLERS, **records.handlers(ONEM)},
    MUTUALITY: mutuality.HANDLERS,
    **{kind: {**records.handlers(kind), **declared.handlers(kind)} for kind in RECORD_KINDS},
    LIMOSA: {**records.handlers(LIMOSA), **limosa.HANDLERS},
}


def create_source_app(
    kind: str, *, database_url: str, token: str, name: str, number: int | None = None,
    publisher: Publisher | None = None,
) -> Starlette:
    """The ASGI application of a simulated source of ``kind`` (its database must exist). A
    source receiving declarations publishes the status changes they make and its decisions
    through ``app.state.publisher`` (none: they wait in its outbox for one)."""
    if kind == MEDIPRIMA:  # a register the CPAS write to, with a publisher of its own
        return create_mediprima_app(database_url=database_url, token=token, name=name,
                                    publisher=mediprima_publisher())
    if kind not in HANDLERS:
        raise ValueError(f"no simulated source of kind {kind!r}; kinds: {', '.join(HANDLERS)}")
    engine = source_engine(database_url)
    source = Source(identity=SourceIdentity(kind=kind, name=name, number=number),
                    engine=engine, handlers=HANDLERS[kind])
    endpoints = _Endpoints(source, token)
    receiver = _Declarations(kind, database_url, token) if kind in DECLARED_SERVICES else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if receiver is not None:
            await receiver.resume(app)
        yield
        engine.dispose()
        if receiver is not None:
            await receiver.close()

    routes = [Route("/v1/consult", endpoints.consult, methods=["POST"]),
              Route("/v1/health", endpoints.health, methods=["GET"])]
    if receiver is not None:
        routes.append(Route("/v1/declare", receiver.declare, methods=["POST"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.publisher = publisher
    app.state.decision_delay = float(os.environ.get("CARREFOUR_SOURCE_DECISION_DELAY_SECONDS")
                                     or DECISION_DELAY)
    app.state.retry_delay = outbox.FIRST_DELAY  # the first wait before publishing again
    return app


class _Declarations:
    """``POST /v1/declare``: keep a declaration, then publish the status change it makes; for
    a type the source decides on later, decide after ``app.state.decision_delay`` seconds and
    publish the decision to the declarant (decisions are taken one at a time). What is
    published goes through the source's outbox (``_Outbox``)."""

    def __init__(self, kind: str, database_url: str, token: str) -> None:
        self.kind, self.token = kind, token
        self.engine = declaration_engine(database_url)
        self.publishing: set[asyncio.Task[Any]] = set()
        self.deciding = asyncio.Lock()
        self.outbox = _Outbox(kind, self.engine)

    async def declare(self, request: Request) -> Response:
        try:
            authorize(request.headers.get("authorization"), self.token)
            asked = declared.parse_declaration(await request.body())
            received = await run_in_threadpool(declared.receive, self.engine, self.kind, asked,
                                               dt.datetime.now(dt.UTC))
        except CarrefourError as error:
            return problem(error)
        except Exception:
            log.exception("the source failed to keep a declaration")
            return problem(CarrefourError("The source met an unexpected error."))
        if received.changes:
            self.outbox.wake()
        if received.pending is not None:
            self._later(self._decide(received.pending, request.app))
        return Response(orjson.dumps(received.answer), media_type=JSON)

    async def resume(self, app: Starlette) -> None:
        """Publish what the source owed the hub when it stopped, and decide, in their order,
        the declarations acknowledged before it stopped."""
        await run_in_threadpool(outbox.ensure, self.engine, self.kind)
        self.outbox.start(app)
        for pending in await run_in_threadpool(declared.undecided, self.engine, self.kind):
            self._later(self._decide(pending, app))

    def _later(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self.publishing.add(task)
        task.add_done_callback(self.publishing.discard)

    async def _decide(self, pending: tuple[int, int], app: Starlette) -> None:
        """After the app's ``decision_delay``, decide; the outbox tells the declarant."""
        await asyncio.sleep(float(app.state.decision_delay))
        try:
            async with self.deciding:
                await run_in_threadpool(declared.decide, self.engine, self.kind, pending,
                                        dt.datetime.now(dt.UTC))
        except Exception:
            log.exception("the source failed to decide on a declaration")
            return
        self.outbox.wake()

    async def close(self) -> None:
        if self.publishing:
            await asyncio.wait(self.publishing, timeout=5)
        await self.outbox.stop()
        self.engine.dispose()


class _Outbox:
    """Publishes what the source owes the hub (``outbox.py``) through ``app.state.publisher``
    (read at each pass: it may be given after the start), oldest first, one at a time: at
    the start, when woken by a change, and after the back-off of what the hub could not take.
    A mutation is marked published only once the hub answered it accepted."""

    def __init__(self, kind: str, engine: Engine) -> None:
        self.kind, self.engine = kind, engine
        self.woken = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self, app: Starlette) -> None:
        self.task = asyncio.create_task(self._run(app))

    def wake(self) -> None:
        self.woken.set()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self, app: Starlette) -> None:
        while True:
            self.woken.clear()
            try:
                wait = await self._pass(app.state.publisher, float(app.state.retry_delay))
            except Exception:
                log.exception("the source failed to publish what it owes the hub")
                wait = outbox.LAST_DELAY
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), timeout=wait)

    async def _pass(self, publisher: Publisher | None, first: float) -> float | None:
        """Publish what is due; the seconds until the next try (None: nothing is owed)."""
        while owed := await run_in_threadpool(outbox.owed, self.engine, self.kind):
            if publisher is None:
                return NO_PUBLISHER_POLL
            for publication in owed:
                now = dt.datetime.now(dt.UTC)
                if publication.next_attempt_at > now:
                    return (publication.next_attempt_at - now).total_seconds()
                attempt = await publisher.publish(publication.mutation)
                done = dt.datetime.now(dt.UTC)
                if attempt.outcome is Outcome.FAILED:
                    return await run_in_threadpool(functools.partial(
                        outbox.failed, first=first), self.engine, self.kind, publication, done,
                        attempt.detail)
                close = (outbox.published if attempt.outcome is Outcome.PUBLISHED
                         else functools.partial(outbox.refused, error=attempt.detail))
                await run_in_threadpool(close, self.engine, self.kind, publication, done)
        return None


def declaration_engine(url: str) -> Engine:
    """The engine that writes the declarations a source receives (SQLite: waits for a lock)."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    return create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})


class _Endpoints:
    """The two endpoints of the protocol, around one source."""

    def __init__(self, source: Source, token: str) -> None:
        self.source = source
        self.token = token
        self.inline = source.engine.dialect.name == "sqlite"

    async def consult(self, request: Request) -> Response:
        try:
            authorize(request.headers.get("authorization"), self.token)
            consultation = parse_consultation(await request.body())
            if self.inline:
                answer = self.source.answer(consultation)
            else:
                answer = await run_in_threadpool(self.source.answer, consultation)
        except CarrefourError as error:
            return problem(error)
        except Exception:
            log.exception("the source failed to answer")
            return problem(CarrefourError("The source met an unexpected error."))
        return Response(orjson.dumps(_wire(answer)), media_type=JSON)

    async def health(self, _request: Request) -> Response:
        identity = self.source.identity
        body: dict[str, Any] = {"status": "ok", "kind": identity.kind, "name": identity.name}
        try:
            body["persons"] = await run_in_threadpool(_count_persons, self.source.engine,
                                                      identity.kind)
        except SQLAlchemyError:
            log.exception("the source's database is unavailable")
            body["status"] = "unavailable"
            return Response(orjson.dumps(body), status_code=503, media_type=JSON)
        return Response(orjson.dumps(body), media_type=JSON)


def source_engine(url: str) -> Engine:
    """A read engine for a source database; SQLite gets a large page cache and memory map."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_read_pragmas)
    return engine


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA query_only=1")
    cursor.close()


def _count_persons(engine: Engine, kind: str) -> int:
    table = PERSON_TABLES[kind]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count(table.c.niss.distinct()))).scalar_one())


def _wire(answer: SourceAnswer) -> dict[str, Any]:
    return {"found": True, "data": answer.data} if answer.found else {"found": False}


def publisher_from_env() -> HubPublisher | None:
    """The hub a source publishes to: ``CARREFOUR_SOURCE_HUB_URL``,
    ``CARREFOUR_SOURCE_PUBLISH_CLIENT_ID`` and ``CARREFOUR_SOURCE_PUBLISH_CLIENT_SECRET``."""
    values = [os.environ.get(f"CARREFOUR_SOURCE_{name}") for name in
              ("HUB_URL", "PUBLISH_CLIENT_ID", "PUBLISH_CLIENT_SECRET")]
    if not all(values):
        return None
    url, client_id, secret = (str(v) for v in values)
    return HubPublisher(url, client_id, secret)


def serve_source(
    kind: str, *, database_url: str, token: str, name: str, number: int | None = None,
    host: str = "127.0.0.1", port: int, log_level: str = "warning",
) -> None:
    """Run a simulated source with uvicorn (uvloop, httptools) until interrupted."""
    app = create_source_app(kind, database_url=database_url, token=token, name=name,
                            number=number, publisher=publisher_from_env())
    uvicorn.run(app, host=host, port=port, loop="uvloop", http="httptools",
                log_level=log_level, access_log=False)
