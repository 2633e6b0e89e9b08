"""The console's pages for the hub's operators (``/console/...``). Each page is one look-up
through :class:`~carrefour.console.services.Console`: checked against the session's role and
journaled; a refusal is a 403 page with its ticket, a missing session a redirect to sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from carrefour.auth import services as auth
from carrefour.bootstrap import Hub
from carrefour.console import routes_people, routes_statistics, services, web
from carrefour.console.domain import View
from carrefour.console.outage import OutagePage
from carrefour.console.pages import show
from carrefour.console.services import Console
from carrefour.console.settings import ConsoleSettings
from carrefour.directory import services as directory
from carrefour.errors import Unauthenticated
from carrefour.journal import audit as journal_audit
from carrefour.journal import services as journal

router = APIRouter(prefix="/console", include_in_schema=False, route_class=OutagePage)
Text = Annotated[str | None, Query(max_length=100)]


def install(app: FastAPI, hub: Hub, settings: ConsoleSettings | None = None) -> None:
    app.state.console = Console(hub)
    app.state.console_settings = settings or ConsoleSettings.from_env()
    app.mount("/console/static", StaticFiles(packages=[("carrefour.console", "static")]),
              name="console-static")
    app.include_router(router)
    app.include_router(routes_people.router)
    app.include_router(routes_statistics.router)


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.get("")
async def home(request: Request) -> Response:
    try:
        session = web.session_of(request)
    except Unauthenticated:
        return web.to_login(request)
    views = [v for v, _ in web.NAVIGATION if v in session.views()]
    if not views:
        return await show(request, View.DASHBOARD, "dashboard.html", lambda: None)
    return RedirectResponse(f"/console/{views[0]}", status_code=303)


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    return await _dashboard(request, "dashboard.html")


@router.get("/dashboard/live")
async def dashboard_live(request: Request) -> Response:
    """The dashboard's figures alone: htmx swaps them in every few seconds."""
    return await _dashboard(request, "dashboard_live.html")


async def _dashboard(request: Request, template: str) -> Response:
    hub = _hub(request)
    snapshot = await hub.reference.current()
    return await show(request, View.DASHBOARD, template, lambda: services.dashboard(hub),
                      by_cbe=snapshot.by_cbe)


@router.get("/ticket")
async def ticket(request: Request, ticket: Text = None) -> Response:
    hub = _hub(request)
    wanted = (ticket or "").strip()
    return await show(request, View.TICKET, "ticket.html",
                      lambda: journal.by_ticket(
                          hub.engine, wanted, archive_dir=hub.settings.journal_archive_dir,
                      ) if wanted else None,
                      ticket=wanted)


@router.get("/institutions")
async def institutions(request: Request) -> Response:
    hub = _hub(request)
    return await show(request, View.INSTITUTIONS, "institutions.html",
                      lambda: directory.list_institutions(hub.engine))


@router.get("/credentials")
async def credentials(request: Request) -> Response:
    hub = _hub(request)
    snapshot = await hub.reference.current()
    return await show(request, View.CREDENTIALS, "credentials.html",
                      lambda: auth.list_credentials(hub.engine), institutions=snapshot.institutions)


@router.get("/deliberations")
async def deliberations(request: Request) -> Response:
    hub = _hub(request)
    return await show(request, View.DELIBERATIONS, "deliberations.html",
                      lambda: directory.list_deliberations(hub.engine))


@router.get("/availability")
async def availability(request: Request) -> Response:
    hub = _hub(request)
    return await show(request, View.AVAILABILITY, "availability.html",
                      lambda: directory.list_availability(hub.engine))


@router.get("/audit")
async def audit(request: Request, kind: Text = None, key: Text = None) -> Response:
    hub = _hub(request)
    chosen = kind if kind in set(journal_audit.Kind) else None
    return await show(
        request, View.AUDIT, "audit.html",
        lambda: journal_audit.trail(hub.engine, kind=chosen, key=key or None, limit=200,
                                    archive_dir=hub.settings.journal_archive_dir),
        kinds=list(journal_audit.Kind), kind=chosen, key=key or "",
    )
