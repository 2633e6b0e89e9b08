"""The one limit on the size of every request body (``CARREFOUR_MAX_BODY_BYTES``), checked
before any route reads it: 413 ``payload-too-large``.

A plain ASGI middleware, so that a request with a ``Content-Length`` within the limit costs one
header look-up (the server itself then delivers no more than that length); a body sent without
one (chunked) is read here up to the limit and handed on. (The framework's own ``max_body_size``
answers in plain text when the route has not read the body yet, e.g. an unauthenticated
request; every refusal of the hub is a problem document.)"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carrefour.api.problems import problem
from carrefour.errors import PayloadTooLarge


class BodyLimit:
    """``exempt``: paths whose routes keep a limit of their own (the SOAP endpoints: a smaller
    one, refused with a SOAP Fault as their clients expect)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, exempt: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages = await self._read(receive)
        if messages is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _read(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None as soon as they pass the limit."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(f"A request body may have at most {self.max_bytes} bytes.")
        response = problem(
            code=error.code, title=error.title, status=error.status, detail=error.detail
        )
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
