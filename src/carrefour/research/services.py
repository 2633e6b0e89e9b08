"""Use cases of research extracts: an operator registers a project (journaled with its audit
row), anyone of the hub's operators shows it, and the project's researcher sees it (what is
left of its privacy budget) and gets extracts (:mod:`carrefour.research.extracts`), checked
like an exchange and journaled, refusals too."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carrefour.auth.services import Caller, Scope
from carrefour.config import Settings
from carrefour.db import reading
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot, load_snapshot
from carrefour.directory.domain import Institution
from carrefour.directory.services import parse_cbe
from carrefour.errors import (
    Conflict,
    ResearchNotGranted,
    UnknownInstitution,
    UnknownResearchProject,
)
from carrefour.journal import audit
from carrefour.journal.keys import JournalKeyError, write_new_file
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter
from carrefour.lists.services import list_policy
from carrefour.research import domain, extracts, files, repository
from carrefour.research.domain import ProjectSpec
from carrefour.research.extracts import Order, Policy
from carrefour.research.repository import Project

MIN_KEY_LENGTH = 32


def research_secret(settings: Settings, *, create: bool = True) -> bytes:
    """The hub's research secret: ``CARREFOUR_RESEARCH_KEY``, else its key file (created on
    first use, mode 0600)."""
    if settings.research_key:
        return _checked(settings.research_key, "CARREFOUR_RESEARCH_KEY")
    path: Path = settings.research_key_path
    if not path.exists():
        if not create:
            raise JournalKeyError(f"there is no research key at {path}")
        write_new_file(path, secrets.token_urlsafe(32).encode("ascii"), mode=0o600)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise JournalKeyError(f"the research key at {path} cannot be read ({error})") from None
    return _checked(text, str(path))


def _checked(text: str, origin: str) -> bytes:
    secret = text.strip()
    if len(secret) < MIN_KEY_LENGTH:
        raise JournalKeyError(f"the research key from {origin} is shorter than "
                              f"{MIN_KEY_LENGTH} characters")
    return secret.encode("utf-8")


def research_policy(settings: Settings) -> Policy:
    mailbox = list_policy(settings)
    return Policy(secret=research_secret(settings), min_cell=settings.research_min_cell,
                  inline_rows=settings.research_inline_rows,
                  place=files.Place(folder=mailbox.folder, retention=mailbox.retention))


# --- operators -------------------------------------------------------------------------------
def register_project(engine: Engine, spec: ProjectSpec, *, stamp: Stamp,
                     today: dt.date, snapshot: ReferenceSnapshot | None = None
                     ) -> dict[str, Any]:
    """Register the project after checking its researcher and its deliberation (which must
    grant the research use of every variable); journaled with its audit row."""
    snapshot = snapshot or load_snapshot(engine)
    researcher = snapshot.by_cbe.get(parse_cbe(spec.researcher))
    if researcher is None or not researcher.active:
        raise UnknownInstitution(f"No active institution with CBE number {spec.researcher} "
                                 "is in the directory.")
    grants = snapshot.deliberations_by_service.get(domain.SERVICE, [])
    domain.check_grant(spec, grants, researcher.kind, today)
    row = _row(spec, researcher)
    with engine.begin() as connection:
        if repository.project_by_id(connection, spec.id) is not None:
            raise Conflict(f"A research project {spec.id} is already registered.")
        repository.insert_project(connection, row)
        project = repository.project_by_id(connection, spec.id)
        assert project is not None
        state = project_state(project, researcher)
        audit.commit(connection, stamp, [audit.Change(
            audit.Kind.RESEARCH_PROJECT, spec.id, None, state)])
    return state


def _row(spec: ProjectSpec, researcher: Institution) -> dict[str, Any]:
    budget = None if spec.budget is None else domain.to_micro(spec.budget)
    return {"id": spec.id, "title": spec.title, "institution_id": researcher.id,
            "deliberation": spec.deliberation, "variables": list(spec.variables),
            "statuses": list(spec.statuses), "period_start": spec.period.start,
            "period_end": spec.period.end, "key_salt": secrets.token_hex(16),
            "budget_micro": budget, "spent_micro": 0, "created_at": dt.datetime.now(dt.UTC)}


def project_state(project: Project, researcher: Institution | None) -> dict[str, Any]:
    """What a project is, as shown and audited (never its key's salt)."""
    return {"id": project.id, "title": project.title,
            "researcher": researcher.cbe if researcher else None,
            "deliberation": project.deliberation, "variables": list(project.variables),
            "statuses": list(project.statuses),
            "period": {"start": project.period.start.isoformat(),
                       "end": project.period.end.isoformat()},
            "budget": extracts.budget_of(project)}


def show_project(engine: Engine, project_id: str) -> dict[str, Any]:
    """The project, its budget spent and its releases (oldest first)."""
    with reading(engine).connect() as connection:
        project = repository.project_by_id(connection, project_id)
        if project is None:
            raise UnknownResearchProject(f"There is no research project {project_id}.")
        releases = repository.releases_of(connection, project_id)
    researcher = load_snapshot(engine).institutions.get(project.institution_id)
    return {**project_state(project, researcher), "releases": _releases(releases)}


def _releases(releases: list[repository.Release]) -> list[dict[str, Any]]:
    return [{"ticket": r.ticket, "kind": r.kind, "variables": list(r.variables),
             "epsilon": None if r.epsilon_micro is None else domain.from_micro(r.epsilon_micro),
             "released_at": r.released_at.isoformat(timespec="seconds")} for r in releases]


# --- researchers -----------------------------------------------------------------------------
class Research:
    def __init__(self, *, engine: Engine, reference_cache: ReferenceCache,
                 journal: JournalWriter, policy: Callable[[], Policy],
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self._engine = engine
        self.today = today
        self._reference = reference_cache
        self._journal = journal
        self._policy = policy  # read when first needed: the key file is created then

    async def view(self, caller: Caller, project_id: str) -> Ticketed[dict[str, Any]]:
        """The caller's own project (another institution: 403): its variables, population,
        the privacy budget spent and left, its releases; journaled, refusals too."""
        snapshot = await self._reference.current()
        researcher = snapshot.institution(caller.institution_id)

        async def work(stamp: Stamp) -> dict[str, Any]:
            caller.require(Scope.CONSULT)
            return await asyncio.to_thread(self._view, snapshot, researcher, project_id)

        return await journaled(self._journal, _act(researcher, domain.VIEW), work)

    def _view(self, snapshot: ReferenceSnapshot, researcher: Institution, project_id: str
              ) -> dict[str, Any]:
        project = extracts.own_project(self._engine, project_id, researcher)
        granted = _granted(snapshot, researcher, project, self.today())
        with reading(self._engine).connect() as connection:
            persons = repository.population_size(connection, project.statuses,
                                                 project.period) if granted else None
            releases = repository.releases_of(connection, project_id)
        min_cell = self._policy().min_cell
        shown = None if persons is None or domain.suppressed(persons, min_cell) else persons
        return {**project_state(project, researcher), "granted": granted,
                "population": {"persons": shown, "min_cell": min_cell},
                "releases": _releases(releases)}

    async def extract(self, caller: Caller, project_id: str, order: Order
                      ) -> Ticketed[dict[str, Any]]:
        """An extract of the caller's own project (another institution: 403), journaled
        with one entry per person included; refusals journaled too."""
        snapshot = await self._reference.current()
        researcher = snapshot.institution(caller.institution_id)
        act = _act(researcher, domain.EXTRACT)

        async def work(stamp: Stamp) -> dict[str, Any]:
            caller.require(Scope.CONSULT)
            return await asyncio.to_thread(self._extract, snapshot, researcher, project_id,
                                           order, stamp)

        return await journaled(self._journal, act, work, work_commits_entry=True)

    def _extract(self, snapshot: ReferenceSnapshot, researcher: Institution, project_id: str,
                 order: Order, stamp: Stamp) -> dict[str, Any]:
        project = extracts.own_project(self._engine, project_id, researcher)
        domain.check_grant(_spec(project, researcher),
                           snapshot.deliberations_by_service.get(domain.SERVICE, []),
                           researcher.kind, self.today())  # still granted today
        asked = extracts.check_order(project, order)
        return extracts.make(self._engine, asked, self._policy(), researcher=researcher,
                             stamp=stamp)


def _act(researcher: Institution, action: str) -> Act:
    return Act(channel="rest", action=action, client=researcher.cbe, end_user_id=None,
               end_user_role=None, service=None, niss=None)


def _spec(project: Project, researcher: Institution) -> ProjectSpec:
    return ProjectSpec(id=project.id, title=project.title, researcher=researcher.cbe,
                       deliberation=project.deliberation, variables=project.variables,
                       statuses=project.statuses, period=project.period)


def _granted(snapshot: ReferenceSnapshot, researcher: Institution, project: Project,
             today: dt.date) -> bool:
    """Whether the project's deliberation still grants its research use today."""
    try:
        domain.check_grant(_spec(project, researcher),
                           snapshot.deliberations_by_service.get(domain.SERVICE, []),
                           researcher.kind, today)
    except ResearchNotGranted:
        return False
    return True
