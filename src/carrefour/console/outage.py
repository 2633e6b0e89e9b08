"""A database outage on the console's pages.

A page whose journaled look-up meets the outage already answers the error page (503, the
journal's unavailability, its ticket). What a page reads before it — the reference tables, the
sign-in's credentials — meets it as a database error: :class:`OutagePage`, the route class of
the console's routers, answers the same page for it, in the visitor's language, with a ticket
for this attempt and one line in the log — not the API's JSON problem."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

from carrefour.console import web
from carrefour.console.domain import Session
from carrefour.db import describe_outage, is_outage
from carrefour.errors import CarrefourError, JournalUnavailable
from carrefour.journal.chain import UNAVAILABLE
from carrefour.journal.entries import new_ticket

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class OutagePage(APIRoute):
    """A console route that answers a database outage with the console's 503 page."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except DBAPIError as error:
                if not is_outage(error):
                    raise
                return unavailable_page(request, error)

        return answer


def unavailable_page(request: Request, error: DBAPIError) -> Response:
    ticket = new_ticket()
    log.error("%s %s refused: the database is unavailable (%s); ticket %s",
              request.method, request.url.path, describe_outage(error), ticket)
    refused = JournalUnavailable(UNAVAILABLE, ticket=ticket)
    return web.render(request, "error.html", session=_session(request), status=refused.status,
                      error=refused)


def _session(request: Request) -> Session | None:
    try:
        return web.session_of(request)
    except CarrefourError:
        return None
