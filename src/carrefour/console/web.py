"""Rendering the console's pages: Jinja2 templates in the language of the request, the
session from its cookie, and the answers to a refused or signed-out visitor."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from carrefour.console import sessions
from carrefour.console.domain import Session, View
from carrefour.i18n.catalogues import gettext
from carrefour.i18n.languages import CONSOLE_LANGUAGES, negotiate
from carrefour.i18n.problems import translate_detail

LANGUAGE_COOKIE = "carrefour_lang"
NAVIGATION = (
    (View.DASHBOARD, "Dashboard"), (View.TICKET, "Ticket"),
    (View.INSTITUTIONS, "Institutions"), (View.CREDENTIALS, "Credentials"),
    (View.DELIBERATIONS, "Deliberations"), (View.AVAILABILITY, "Availability"),
    (View.AUDIT, "Audit trail"), (View.EXCHANGES, "Exchanges of my institution"),
    (View.MINE, "Who consulted my data"), (View.STATISTICS, "Statistics"),
)


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("carrefour.console", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language(request: Request) -> str:
    """The language asked in the address (the switch), else the one chosen before, else the
    browser's; French when none of the three is named."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in CONSOLE_LANGUAGES:
            return str(candidate)
    return negotiate(request.headers.get("accept-language"), offered=CONSOLE_LANGUAGES,
                     default="fr")


def session_of(request: Request) -> Session:
    secret: str = request.app.state.hub.settings.token_secret
    return sessions.decode(request.cookies.get(sessions.COOKIE), secret=secret)


def render(
    request: Request, template: str, *, session: Session | None = None, status: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = language(request)
    views = session.views() if session else frozenset()
    body = environment().get_template(template).render(
        _=functools.partial(gettext, lang), lang=lang, languages=CONSOLE_LANGUAGES,
        session=session, navigation=[(v, label) for v, label in NAVIGATION if v in views],
        path=request.url.path, query=request.url.query, when=_when,
        translate_detail=translate_detail, **values,
    )
    response = HTMLResponse(body, status_code=status, headers={"Content-Language": lang})
    if request.query_params.get("lang") in CONSOLE_LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def to_login(request: Request) -> Response:
    return RedirectResponse(f"/console/login?lang={language(request)}", status_code=303)


def refused(request: Request, session: Session | None, ticket: str | None) -> HTMLResponse:
    return render(request, "refused.html", session=session, status=403, ticket=ticket)
