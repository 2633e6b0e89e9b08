"""The source gateway: asks a source institution over HTTP (the source protocol) or, for the
hub's own registers, in process. Transport errors are translated here into outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
import orjson

from carrefour.directory.domain import Institution
from carrefour.exchange.ports import LocalSource, SourceAnswer, SourceRequest

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
    """One pooled HTTP client for every source; local sources by their ``local:`` endpoint."""

    def __init__(self, *, local: Mapping[str, LocalSource] | None = None) -> None:
        self._local = dict(local or {})
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=256, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector, json_serialize=lambda o: orjson.dumps(o).decode()
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ask(
        self, institution: Institution, request: SourceRequest, *, timeout: float
    ) -> SourceOutcome:
        endpoint = institution.endpoint or ""
        try:
            async with asyncio.timeout(timeout):
                answer = await self._answer(endpoint, institution, request)
        except TimeoutError:
            return SourceOutcome(institution, Status.TIMEOUT, detail=f"no answer in {timeout} s")
        except SourceProtocolError as error:
            return SourceOutcome(institution, Status.UNAVAILABLE, detail=str(error))
        if not answer.found:
            return SourceOutcome(institution, Status.NOT_FOUND)
        return SourceOutcome(institution, Status.OK, answer.data)

    async def _answer(
        self, endpoint: str, institution: Institution, request: SourceRequest
    ) -> SourceAnswer:
        if endpoint.startswith(LOCAL_SCHEME):
            local = self._local.get(endpoint.removeprefix(LOCAL_SCHEME))
            if local is None:
                raise SourceProtocolError(f"no local source '{endpoint}' in this hub")
            return await local.answer(request)
        return await self._over_http(endpoint, institution.source_token, request)

    async def _over_http(
        self, endpoint: str, token: str | None, request: SourceRequest
    ) -> SourceAnswer:
        if self._session is None:
            raise SourceProtocolError("the gateway is not started")
        body = {
            "ticket": request.ticket,
            "service": request.service,
            "version": request.version,
            "niss": request.niss,
            "parameters": dict(request.parameters),
            "client": request.client,
        }
        headers = {"Authorization": f"Bearer {token or ''}"}
        try:
            async with self._session.post(
                f"{endpoint.rstrip('/')}/v1/consult", json=body, headers=headers
            ) as response:
                payload = await response.read()
                status = response.status
        except aiohttp.ClientError as error:
            raise SourceProtocolError(f"cannot reach the source: {error}") from None
        return _parse_answer(status, payload)


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
