"""The source gateway: asks a source institution over HTTP (the source protocol) or, for the
hub's own registers, in process. Transport errors are translated here into outcomes.

Idle connections are kept for reuse a little less long than the source keeps them
(:mod:`carrefour.exchange.keepalive`), and a request that failed on a reused connection before
any answer came back (the source had just closed it) is sent once more, on a new connection:
a source that closes an idle connection has not read what crossed its closing. A failure on a
new connection, or once the source started answering, is not retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from carrefour.directory.domain import Institution
from carrefour.exchange import http1
from carrefour.exchange.keepalive import KeepAlive
from carrefour.exchange.ports import LocalSource, SourceAnswer, SourceRequest
from carrefour.observability.metrics import HubMetrics
from carrefour.observability.tracing import CLIENT, Tracing

LOCAL_SCHEME = "local:"


class Status(StrEnum):
    OK = "ok"
    NOT_FOUND = "not-found"
    UNAVAILABLE = "source-unavailable"
    TIMEOUT = "source-timeout"


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    institution: Institution
    status: Status
    data: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None


class SourceGateway:
    """Pooled HTTP connections to the sources (:mod:`carrefour.exchange.http1`), one pool per
    keep-alive timeout in use; local sources by their ``local:`` endpoint."""

    def __init__(
        self, *, local: Mapping[str, LocalSource] | None = None,
        keepalive: KeepAlive | None = None,
        metrics: HubMetrics | None = None, tracing: Tracing | None = None,
    ) -> None:
        self._local = dict(local or {})
        self._keepalive = keepalive or KeepAlive()
        self._metrics = metrics or HubMetrics()
        self._tracing = tracing or Tracing()
        self._pools: dict[float, http1.Pool] = {}
        self._started = False
        self._failing: dict[str, str] = {}  # CBE -> why its last call failed

    def failing(self) -> dict[str, str]:
        """The sources whose last call failed, by CBE number, and why."""
        return dict(self._failing)

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()
        for local in self._local.values():
            close = getattr(local, "close", None)  # the hub's registers hold connections
            if close is not None:
                close()

    def _pool(self, cbe: str | None) -> http1.Pool:
        """The pool keeping connections to ``cbe`` as long as its keep-alive says; ``None``:
        the one that opens a new connection for every request."""
        seconds = 0.0 if cbe is None else self._keepalive.for_source(cbe)
        pool = self._pools.get(seconds)
        if pool is None:
            pool = self._pools[seconds] = http1.Pool(keepalive=seconds)
        return pool

    async def ask(
        self, institution: Institution, request: SourceRequest, *, timeout: float
    ) -> SourceOutcome:
        started = time.perf_counter()
        with self._tracing.span(f"source {institution.kind}", kind=CLIENT,
                                **{"carrefour.source": institution.cbe}):
            outcome = await self._ask(institution, request, timeout=timeout)
        self._metrics.source(source=institution.cbe, kind=institution.kind,
                             status=outcome.status.value, seconds=time.perf_counter() - started)
        return outcome

    async def _ask(
        self, institution: Institution, request: SourceRequest, *, timeout: float
    ) -> SourceOutcome:
        endpoint = institution.endpoint or ""
        try:
            async with asyncio.timeout(timeout):
                answer = await self._answer(endpoint, institution, request)
        except TimeoutError:
            return self._failed(institution, Status.TIMEOUT, f"no answer in {timeout} s")
        except SourceProtocolError as error:
            return self._failed(institution, Status.UNAVAILABLE, str(error))
        self._failing.pop(institution.cbe, None)
        if not answer.found:
            return SourceOutcome(institution, Status.NOT_FOUND)
        return SourceOutcome(institution, Status.OK, answer.data)

    def _failed(self, institution: Institution, status: Status, detail: str) -> SourceOutcome:
        self._failing[institution.cbe] = f"{status}: {detail}"
        return SourceOutcome(institution, status, detail=detail)

    async def _answer(
        self, endpoint: str, institution: Institution, request: SourceRequest
    ) -> SourceAnswer:
        if endpoint.startswith(LOCAL_SCHEME):
            local = self._local.get(endpoint.removeprefix(LOCAL_SCHEME))
            if local is None:
                raise SourceProtocolError(f"no local source '{endpoint}' in this hub")
            return await local.answer(request)
        return await self._over_http(endpoint, institution, request)

    async def _over_http(
        self, endpoint: str, institution: Institution, request: SourceRequest
    ) -> SourceAnswer:
        if not self._started:
            raise SourceProtocolError("the gateway is not started")
        pool = self._pool(institution.cbe)
        url = f"{endpoint.rstrip('/')}/v1/consult"
        headers = {"Authorization": f"Bearer {institution.source_token or ''}"}
        body = orjson.dumps({
            "ticket": request.ticket,
            "service": request.service,
            "version": request.version,
            "niss": request.niss,
            "parameters": dict(request.parameters),
            "client": request.client,
        })
        self._tracing.inject(headers)  # traceparent, when tracing is on
        try:
            try:
                reply = await pool.post(url, body, headers)
            except http1.ClosedOnReuse:
                reply = await self._pool(None).post(url, body, headers)  # once, anew
        except http1.ClientError as error:
            raise SourceProtocolError(f"cannot reach the source: {error}") from None
        return _parse_answer(reply.status, reply.body)

    async def declare(
        self, institution: Institution, body: Mapping[str, Any], *, timeout: float
    ) -> tuple[int, dict[str, Any]]:
        """Send a declaration to a source (``POST {endpoint}/v1/declare``): the HTTP status and
        the JSON object answered. Raises :class:`SourceProtocolError` (unreachable, not JSON)
        and :class:`TimeoutError`."""
        if not self._started:
            raise SourceProtocolError("the gateway is not started")
        url = f"{(institution.endpoint or '').rstrip('/')}/v1/declare"
        headers = {"Authorization": f"Bearer {institution.source_token or ''}"}
        try:
            async with asyncio.timeout(timeout):
                reply = await self._pool(institution.cbe).post(
                    url, orjson.dumps(dict(body)), headers)
        except http1.ClientError as error:
            raise SourceProtocolError(f"cannot reach the source: {error}") from None
        payload, status = reply.body, reply.status
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise SourceProtocolError(f"the source answered HTTP {status}, not JSON") from None
        if not isinstance(document, dict):
            raise SourceProtocolError("the source's answer is not an object")
        return status, document


class SourceProtocolError(Exception):
    """The source could not be reached or answered outside the protocol."""


def _parse_answer(status: int, payload: bytes) -> SourceAnswer:
    if status != 200:
        raise SourceProtocolError(f"the source answered HTTP {status}")
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise SourceProtocolError("the source's answer is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("found"), bool):
        raise SourceProtocolError("the source's answer has no 'found' flag")
    data = document.get("data") or {}
    if not isinstance(data, dict):
        raise SourceProtocolError("the source's 'data' is not an object")
    return SourceAnswer(found=document["found"], data=data)
