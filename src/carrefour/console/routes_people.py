"""Signing in to the console (staff with their institution's client credentials, citizens
with OpenID Connect), and the pages of a DPO and of a citizen, with their CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from carrefour.auth.roles import check_role
from carrefour.bootstrap import Hub
from carrefour.console import domain, services, sessions, web
from carrefour.console.domain import Session, View
from carrefour.console.oidc import STATE_COOKIE, OidcClient
from carrefour.console.outage import OutagePage
from carrefour.console.pages import looked
from carrefour.console.settings import ConsoleSettings
from carrefour.directory.domain import Institution
from carrefour.errors import CarrefourError, InvalidInput
from carrefour.i18n.catalogues import gettext
from carrefour.identification.niss import parse_niss
from carrefour.journal import services as journal
from carrefour.journal.recorded import Act, Stamp, journaled

router = APIRouter(prefix="/console", include_in_schema=False, route_class=OutagePage)
Field = Annotated[str, Form(max_length=200)]
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/login")
async def login_page(request: Request) -> Response:
    settings: ConsoleSettings = request.app.state.console_settings
    return web.render(request, "login.html", eid=settings.oidc is not None)


@router.post("/login")
async def login(request: Request, client_id: Field, client_secret: Field, end_user_id: Field,
                role: Field) -> Response:
    """Staff sign in with their institution's client credentials, their name and their role
    (one of the sector's: an operator's, or ``dpo``); journaled, throttled like the token
    endpoint."""
    hub: Hub = request.app.state.hub
    address = request.client.host if request.client else None
    try:
        caller = await hub.auth.authenticate(client_id, client_secret, address=address,
                                             channel="console")
        institution = (await hub.reference.current()).institution(caller.institution_id)
        act = Act(channel="console", action="console-sign-in", client=institution.cbe,
                  end_user_id=end_user_id, end_user_role=role, service=None, niss=None)

        async def work(_stamp: Stamp) -> None:
            check_role(role, sector=institution.sector)

        await journaled(hub.journal, act, work)
    except CarrefourError as error:
        settings: ConsoleSettings = request.app.state.console_settings
        return web.render(request, "login.html", status=error.status, error=error,
                          eid=settings.oidc is not None)
    session = Session(kind="staff", end_user_id=end_user_id, role=role,
                      language=web.language(request), client_id=caller.client_id,
                      institution_id=caller.institution_id, scopes=caller.scopes)
    return _signed_in(request, session, "/console")


def _signed_in(request: Request, session: Session, target: str) -> Response:
    settings: ConsoleSettings = request.app.state.console_settings
    secret: str = request.app.state.hub.settings.token_secret
    response = RedirectResponse(f"{target}?lang={session.language}", status_code=303)
    response.set_cookie(sessions.COOKIE, sessions.encode(session, secret=secret,
                        minutes=settings.session_minutes), httponly=True, samesite="lax",
                        max_age=60 * settings.session_minutes,
                        secure=request.url.scheme == "https")
    response.delete_cookie(STATE_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = web.to_login(request)
    response.delete_cookie(sessions.COOKIE)
    return response


def _oidc(request: Request) -> OidcClient | None:
    settings: ConsoleSettings = request.app.state.console_settings
    if settings.oidc is None:
        return None
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        client = request.app.state.oidc = OidcClient(
            settings.oidc, secret=request.app.state.hub.settings.token_secret)
    return client


def _callback_url(request: Request) -> str:
    settings: ConsoleSettings = request.app.state.console_settings
    base = settings.public_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/console/oidc/callback"


@router.get("/oidc/start")
async def oidc_start(request: Request) -> Response:
    client = _oidc(request)
    if client is None:
        return web.to_login(request)
    try:
        started = await client.start(_callback_url(request), web.language(request))
    except CarrefourError as error:
        return web.render(request, "login.html", status=502, error=error, eid=True)
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(STATE_COOKIE, started.state_cookie, httponly=True, samesite="lax",
                        max_age=600)
    return response


@router.get("/oidc/callback")
async def oidc_callback(request: Request, code: Text = None, state: Text = None) -> Response:
    client = _oidc(request)
    if client is None:
        return web.to_login(request)
    try:
        niss, subject, lang = await client.finish(
            code=code or "", state=state or "", state_cookie=request.cookies.get(STATE_COOKIE),
            redirect_uri=_callback_url(request))
        checked = parse_niss(niss).value
    except CarrefourError as error:
        return web.render(request, "login.html", status=401, error=error, eid=True)
    session = Session(kind="citizen", end_user_id=subject, role=domain.CITIZEN_ROLE,
                      language=lang, niss=checked)
    return _signed_in(request, session, f"/console/{View.MINE}")


def _filters(since: str | None, until: str | None, niss: str | None, user: str | None,
             service: str | None) -> journal.ExchangeFilter:
    def day(text: str | None) -> dt.datetime | None:
        if not text:
            return None
        try:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        except ValueError:
            raise InvalidInput(f"The date {text[:20]!r} is not written YYYY-MM-DD.") from None

    end = day(until)
    return journal.ExchangeFilter(
        since=day(since), until=None if end is None else end + dt.timedelta(days=1),
        niss=parse_niss(niss).value if niss else None, end_user_id=user or None,
        service=service or None)


FILTERS = ("since", "until", "niss", "user", "service")


async def _exchanges(
    request: Request, values: tuple[str | None, ...]
) -> tuple[tuple[Session, Any] | Response, Institution | None]:
    """The exchanges of the signed-in DPO's institution (the filters are checked in the
    journaled look-up: a bad one is a journaled refusal)."""
    hub: Hub = request.app.state.hub
    snapshot = await hub.reference.current()
    try:
        institution_id = web.session_of(request).institution_id
    except CarrefourError:
        institution_id = None
    institution = snapshot.institutions.get(institution_id or 0)
    cbe = institution.cbe if institution else "-"

    def read() -> list[journal.JournalRecord]:
        return journal.by_client(hub.engine, cbe, _filters(*values),
                                 archive_dir=hub.settings.journal_archive_dir)

    return await looked(request, View.EXCHANGES, read), institution


@router.get("/exchanges")
async def exchanges(request: Request, since: Text = None, until: Text = None, niss: Text = None,
                    user: Text = None, service: Text = None) -> Response:
    """A DPO's page: the exchanges of their own institution, filtered."""
    hub: Hub = request.app.state.hub
    values = (since, until, niss, user, service)
    result, institution = await _exchanges(request, values)
    if isinstance(result, Response):
        return result
    session, found = result
    return web.render(request, "exchanges.html", session=session, found=found,
                      view=View.EXCHANGES, institution=institution,
                      filters=dict(zip(FILTERS, values, strict=True)),
                      services=sorted(s.name for s in hub.catalogue))


@router.get("/exchanges.csv")
async def exchanges_csv(request: Request, since: Text = None, until: Text = None,
                        niss: Text = None, user: Text = None, service: Text = None) -> Response:
    """The same exchanges as a CSV file."""
    result, _ = await _exchanges(request, (since, until, niss, user, service))
    if isinstance(result, Response):
        return result
    rows = [domain.exchange_row(record.entry) for record in result[1]]
    text = csv_text(domain.CSV_COLUMNS, ([row[c] for c in domain.CSV_COLUMNS] for row in rows))
    return _csv(text, "exchanges.csv")


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


async def _mine(request: Request) -> tuple[Session, Any] | Response:
    hub: Hub = request.app.state.hub
    console: services.Console = request.app.state.console
    snapshot = await hub.reference.current()
    lang = web.language(request)
    try:
        niss = web.session_of(request).niss
    except CarrefourError:
        niss = None
    return await looked(
        request, View.MINE,
        lambda: services.consulted(hub, snapshot, niss or "-", language=lang,
                                   today=console.today()),
        niss=niss,
    )


@router.get("/mine")
async def mine(request: Request) -> Response:
    """A citizen's page: who consulted my data."""
    result = await _mine(request)
    if isinstance(result, Response):
        return result
    session, found = result
    return web.render(request, "mine.html", session=session, found=found, view=View.MINE)


MINE_COLUMNS = ("Date", "Institution", "Service", "Purpose", "Capacity")


@router.get("/mine.csv")
async def mine_csv(request: Request) -> Response:
    """The citizen's list to download (GDPR art. 15), in their language."""
    result = await _mine(request)
    if isinstance(result, Response):
        return result
    lang = web.language(request)
    rows = ((c.occurred_at.isoformat(timespec="seconds"), c.institution, c.service, c.purpose,
             c.capacity) for c in result[1])
    text = csv_text([gettext(lang, name) for name in MINE_COLUMNS], rows)
    return _csv(text, "who-consulted-my-data.csv")
