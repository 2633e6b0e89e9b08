"""A subscriber's endpoint for tests: a real HTTP server that keeps what it receives and can
be told to fail (as if it were down) or to redirect elsewhere."""

from __future__ import annotations

import threading
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from carrefour.signal.webhooks import verify


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failing = False
        self.redirect_to: str | None = None
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        async def events(request: Request) -> Response:
            body = await request.body()
            if self.failing:
                return Response(status_code=503)
            if self.redirect_to is not None:
                return Response(status_code=307, headers={"location": self.redirect_to})
            with self._lock:
                self.requests.append((dict(request.headers), body))
            return Response(status_code=204)

        return Starlette(routes=[Route("/events", events, methods=["POST"])])

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.failing = False
        self.redirect_to = None

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            bodies = [body for _, body in self.requests]
        found: list[dict[str, Any]] = []
        for body in bodies:
            document = orjson.loads(body)
            found.extend(document if isinstance(document, list) else [document])
        return found

    def verify_all(self, secret: str) -> int:
        with self._lock:
            requests = list(self.requests)
        for headers, body in requests:
            verify(secret, body, headers)
        return len(requests)
