"""A source that speaks the source protocol over real HTTP, with behaviour set by the test
(answer, fail, or answer late). It is a test double of the boundary the hub talks to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class SourceDouble:
    token: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # service -> niss -> data
    delay: float = 0.0
    broken: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    on_request: Callable[[Mapping[str, str]], None] | None = None  # sees each call's headers

    def reset(self) -> None:
        self.files.clear()
        self.calls.clear()
        self.delay, self.broken = 0.0, False
        self.on_request = None

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/consult", self._consult, methods=["POST"])])

    async def _consult(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"title": "unauthorised"}, status_code=401)
        body = await request.json()
        self.calls.append(body)
        if self.on_request is not None:
            self.on_request(request.headers)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.broken:
            return JSONResponse({"title": "broken"}, status_code=500)
        data = self.files.get(body["service"], {}).get(body["niss"])
        if data is None:
            return JSONResponse({"found": False})
        return JSONResponse({"found": True, "data": data})
