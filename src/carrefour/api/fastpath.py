"""The hub's hot route answered before the framework's routing.

``POST /v1/consultations`` is most of the hub's traffic. Through the framework it crossed a
dozen layers (routing over every route of the API, the exception middleware, the endpoint
runner...) that cost about as much CPU as the HTTP call to the source. Here the same endpoint
function is called straight from an ASGI middleware placed inside the body limit and the
tracing, so that everything a request meets before and after is unchanged: its errors are
answered by the application's own exception handlers, an unexpected one goes on to the
server-error handler, and the route stays declared in the API (OpenAPI document, other
methods) for the framework to serve."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


class FastRoutes:
    """``routes``: (method, path) -> endpoint taking the request and returning its response."""

    def __init__(self, app: ASGIApp, *, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (self.routes.get((scope["method"], scope["path"]))
                    if scope["type"] == "http" else None)
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = _handler_for(scope["app"].exception_handlers, error)
            if handler is None:
                raise  # the server-error handler's, outside: logged, a problem document
            response = await handler(request, error)
        await response(scope, receive, send)


def _handler_for(handlers: Mapping[Any, Handler], error: Exception) -> Handler | None:
    """The application's handler of the error's nearest class, as the framework picks it
    (``Exception`` itself is the server-error handler's, not looked up here)."""
    for kind in type(error).__mro__:
        if kind is Exception:
            return None
        handler = handlers.get(kind)
        if handler is not None:
            return handler
    return None
