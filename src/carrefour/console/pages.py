"""A console page is one look-up: the session from its cookie, the view checked and the
look-up journaled by :class:`~carrefour.console.services.Console`, then the template; a
missing session sends to sign in, a refusal is a 403 page with its ticket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from carrefour.console import web
from carrefour.console.domain import Session, View
from carrefour.console.services import Console
from carrefour.errors import CarrefourError, Forbidden, Unauthenticated


async def looked(
    request: Request, view: View, read: Callable[[], Any], *, niss: str | None = None
) -> tuple[Session, Any] | Response:
    """The session and what ``read`` found, or the page that answers instead (sign in, a
    refusal with its ticket, an error)."""
    try:
        session = web.session_of(request)
    except Unauthenticated:
        return web.to_login(request)
    console: Console = request.app.state.console
    try:
        return session, await console.look(session, view, read, niss=niss)
    except Unauthenticated:
        return web.to_login(request)
    except Forbidden as error:
        return web.refused(request, session, error.extra.get("ticket"))
    except CarrefourError as error:
        return web.render(request, "error.html", session=session, status=error.status,
                          error=error)


async def show(
    request: Request, view: View, template: str, read: Callable[[], Any], *,
    niss: str | None = None, **values: Any,
) -> Response:
    """The page of ``view`` with what ``read`` found (``found`` in the template)."""
    result = await looked(request, view, read, niss=niss)
    if isinstance(result, Response):
        return result
    session, found = result
    return web.render(request, template, session=session, found=found, view=view, **values)
