"""The console's use cases: each look-up checks the session's view, reads through the
journal's and the directory's services, and is journaled (refusals included) before the page
is rendered."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from carrefour import reference
from carrefour.auth.services import Caller
from carrefour.bootstrap import Hub
from carrefour.console import domain
from carrefour.console.domain import Session, View
from carrefour.directory.cache import ReferenceSnapshot
from carrefour.errors import UnknownService
from carrefour.i18n.catalogues import gettext
from carrefour.journal import services as journal
from carrefour.journal.entries import JournalEntry
from carrefour.journal.recorded import Act, Stamp, journaled
from carrefour.signal import admin as signal_admin
from carrefour.signal.repository import DEAD, PENDING

T = TypeVar("T")
DASHBOARD_WINDOW = 60  # seconds


class Console:
    def __init__(self, hub: Hub, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.hub = hub
        self.today = today

    async def look(
        self, session: Session, view: View, read: Callable[[], T], *, niss: str | None = None,
        reference_: str | None = None,
    ) -> T:
        """Run ``read`` (in a thread) if the session may see ``view``; journaled either way."""
        act = await self._act(session, view, niss)

        async def work(_stamp: Stamp) -> T:
            if session.kind == "staff":
                await self.hub.auth.admit(self._caller(session), channel="console")
            session.require(view)
            return await asyncio.to_thread(read)

        return (await journaled(self.hub.journal, act, work)).value

    async def _act(self, session: Session, view: View, niss: str | None) -> Act:
        client = domain.CITIZEN_CLIENT
        if session.institution_id is not None:
            snapshot = await self.hub.reference.current()
            known = snapshot.institutions.get(session.institution_id)
            client = known.cbe if known else str(session.client_id)
        return Act(channel="console", action=f"console-{view}", client=client,
                   end_user_id=session.end_user_id, end_user_role=session.role,
                   service=None, niss=niss)

    @staticmethod
    def _caller(session: Session) -> Caller:
        return Caller(client_id=str(session.client_id),
                      institution_id=int(session.institution_id or 0), scopes=session.scopes)

    async def snapshot(self) -> ReferenceSnapshot:
        return await self.hub.reference.current()


@dataclass(frozen=True, slots=True, kw_only=True)
class Backlog:
    pending: int
    oldest_pending: dt.datetime | None
    dead: int


def dashboard(hub: Hub) -> tuple[domain.Dashboard, Backlog]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=DASHBOARD_WINDOW)
    figures = domain.dashboard(journal.recent(hub.engine, since), window_seconds=DASHBOARD_WINDOW)
    rows = signal_admin.backlog(hub.engine)
    pending = [r for r in rows if r.state == PENDING]
    oldest = min((r.oldest for r in pending if r.oldest is not None), default=None)
    backlog = Backlog(pending=sum(r.count for r in pending), oldest_pending=oldest,
                      dead=sum(r.count for r in rows if r.state == DEAD))
    return figures, backlog


@dataclass(frozen=True, slots=True, kw_only=True)
class Consulted:
    """One line of "who consulted my data"."""

    occurred_at: dt.datetime
    institution: str
    service: str
    purpose: str
    capacity: str


def consulted(
    hub: Hub, snapshot: ReferenceSnapshot, niss: str, *, language: str, today: dt.date
) -> list[Consulted]:
    """The consultations about ``niss``, newest first, without those still withheld."""
    days = _confidential_days(snapshot)
    titles = _purposes(snapshot)
    shown = []
    for record in journal.by_niss(hub.engine, niss, limit=1000,
                                  archive_dir=hub.settings.journal_archive_dir):
        entry = record.entry
        if not domain.shown_to_person(
            entry, domain.confidential_days(entry.deliberation, days), today=today
        ):
            continue
        institution = snapshot.by_cbe.get(entry.client)
        shown.append(Consulted(
            occurred_at=entry.occurred_at,
            institution=institution.name(language) if institution else entry.client,
            service=_what(hub, entry, language),
            purpose=titles.get((entry.deliberation or "", entry.service or ""), ""),
            capacity=capacity_label(institution.sector if institution else None,
                                    entry.quality_code, language),
        ))
    return shown


def _what(hub: Hub, entry: JournalEntry, language: str) -> str:
    """The service consulted; for a list, "Included in the list" and the list's title; for
    a research extract, "Included in a research extract" and the project's id (nothing of
    what the extract held)."""
    if entry.action == domain.RESEARCH_INCLUSION:
        project = (entry.reference or "").split(":")[1:2]
        return f"{gettext(language, 'Included in a research extract')}: {''.join(project)}"
    if entry.action != domain.LIST_INCLUSION:
        return service_title(hub, entry.service, language)
    name = (entry.reference or "").split(":")[1:2]
    definition = hub.lists.definitions.by_name.get(name[0]) if name else None
    title = gettext(language, definition.title) if definition else (name or [""])[0]
    return f"{gettext(language, 'Included in the list')}: {title}"


def _confidential_days(snapshot: ReferenceSnapshot) -> dict[str, int]:
    days: dict[str, int] = {}
    for grants in snapshot.deliberations_by_service.values():
        for grant in grants:
            if grant.confidential_days is not None:
                days[grant.reference] = max(days.get(grant.reference, 0), grant.confidential_days)
    return days


def _purposes(snapshot: ReferenceSnapshot) -> dict[tuple[str, str], str]:
    return {
        (grant.reference, service): grant.title
        for service, grants in snapshot.deliberations_by_service.items()
        for grant in grants
    }


def service_title(hub: Hub, service: str | None, language: str) -> str:
    if service is None:
        return ""
    try:
        return gettext(language, hub.catalogue.get(service).title)
    except UnknownService:  # a service no longer in the catalogue: its name
        return service


def capacity_label(sector: int | None, code: int | None, language: str) -> str:
    if code is None:
        return ""
    found = reference.quality_code(sector, code) if sector is not None else None
    if found is None:
        return str(code)
    label = {"nl": found.label_nl, "de": found.label_de}.get(language, found.label_fr)
    return f"{code} — {label.capitalize()}"
