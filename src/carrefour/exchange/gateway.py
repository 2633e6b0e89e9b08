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

import aiohttp
import orjson

from carrefour.directory.domain import Institution
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
    """Pooled HTTP clients for the sources, one per keep-alive timeout in use; local sources by
    their ``local:`` endpoint."""

    def __init__(
        self, *, local: Mapping[str, LocalSource] | None = None,
        keepalive: KeepAlive | None = None,
        metrics: HubMetrics | None = None, tracing: Tracing | None = None,
    ) -> None:
        self._local = dict(local or {})
        self._keepalive = keepalive or KeepAlive()
        self._metrics = metrics or HubMetrics()
        self._tracing = tracing or Tracing()
        self._sessions: dict[float, aiohttp.ClientSession] = {}
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
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()
        for local in self._local.values():
            close = getattr(local, "close", None)  # the hub's registers hold connections
            if close is not None:
                close()

    def _session(self, cbe: str | None) -> aiohttp.ClientSession:
        """The client keeping connections to ``cbe`` as long as its keep-alive says; ``None``:
        the one that opens a new connection for every request."""
        seconds = 0.0 if cbe is None else self._keepalive.for_source(cbe)
        session = self._sessions.get(seconds)
        if session is None:
            session = self._sessions[seconds] = _client(seconds)
        return session

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
        session = self._session(institution.cbe)
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
                return await _post(session, url, body, headers)
            except _ClosedOnReuse:
                return await _post(self._session(None), url, body, headers)  # once, anew
        except (aiohttp.ClientError, _ClosedOnReuse) as error:
            raise SourceProtocolError(f"cannot reach the source: {_cause(error)}") from None

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
            async with asyncio.timeout(timeout), self._session(institution.cbe).post(
                url, json=dict(body), headers=headers
            ) as response:
                payload, status = await response.read(), response.status
        except aiohttp.ClientError as error:
            raise SourceProtocolError(f"cannot reach the source: {error}") from None
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise SourceProtocolError(f"the source answered HTTP {status}, not JSON") from None
        if not isinstance(document, dict):
            raise SourceProtocolError("the source's answer is not an object")
        return status, document


class _Attempt:
    """Filled in by the trace of one request: whether it left on a reused connection."""

    reused = False


class _ClosedOnReuse(Exception):
    """A reused connection was closed before any answer came back."""


_JSON = {"Content-Type": "application/json"}


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: Mapping[str, str]
) -> SourceAnswer:
    attempt = _Attempt()
    try:
        response = await session.post(
            url, data=body, headers={**headers, **_JSON}, trace_request_ctx=attempt
        )
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        if attempt.reused and not isinstance(error, aiohttp.ClientConnectorError):
            raise _ClosedOnReuse(str(error)) from error
        raise
    async with response:
        payload = await response.read()
        return _parse_answer(response.status, payload)


def _cause(error: Exception) -> str:
    return str(error.__cause__ or error) if isinstance(error, _ClosedOnReuse) else str(error)


async def _reused(
    _session: aiohttp.ClientSession, context: Any, _params: aiohttp.TraceConnectionReuseconnParams
) -> None:
    attempt = context.trace_request_ctx
    if isinstance(attempt, _Attempt):
        attempt.reused = True


def _client(keepalive_seconds: float) -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()
    trace.on_connection_reuseconn.append(_reused)
    reuse: dict[str, Any] = (
        {"keepalive_timeout": keepalive_seconds} if keepalive_seconds > 0 else {"force_close": True}
    )
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=256, ttl_dns_cache=300, **reuse)
    return aiohttp.ClientSession(connector=connector, trace_configs=[trace])


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
