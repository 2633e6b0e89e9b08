"""Quick onboarding: a new recipient connected under an existing general deliberation in one
act. The institution (CBE number validated), its client credentials, its client kind, a
mailbox for its lists (a pull subscription to ``list-ready``), the format it chose for each
list the deliberation gives it; then its first lists are produced at once. Everything is
checked before anything is written; each change is journaled with its audit rows like every
administrative change (registering, credentials, subscribing), and the whole act once more
(``admin-onboard`` / ``onboard``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine

from carrefour.auth.services import Scope, create_credentials
from carrefour.directory.cache import ReferenceSnapshot, load_snapshot
from carrefour.directory.domain import Role
from carrefour.directory.services import InstitutionSpec, parse_cbe, register_institution
from carrefour.errors import Conflict, InvalidInput, NoDeliberation
from carrefour.journal import audit
from carrefour.journal.recorded import Stamp
from carrefour.lists import repository
from carrefour.lists.areas import area_of
from carrefour.lists.domain import LIST_READY, Definitions, ListDefinition, Period
from carrefour.lists.services import ListPolicy, generate
from carrefour.reference import sector as find_sector
from carrefour.signal import repository as signal_repository
from carrefour.signal.domain import MutationTypes
from carrefour.signal.webhooks import new_secret


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicant:
    """Who joins, under which general deliberation, and how it wants its lists."""

    cbe: str
    name_fr: str
    name_nl: str
    name_de: str | None = None
    kind: str
    sector: int
    subsector: int = 0
    postal_code: str
    deliberation: str
    format: str | None = None  # each list's default when not given
    period: Period | None = None  # of the first lists (default: the last closed month)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    applicant: Applicant
    cbe: str
    services: list[str]
    lists: list[ListDefinition]


def plan(snapshot: ReferenceSnapshot, definitions: Definitions, applicant: Applicant,
         today: dt.date) -> Plan:
    """Check everything first: the CBE number, the sector, the area, the deliberation (valid
    for that client kind), the formats; what the deliberation gives (services and lists)."""
    cbe = parse_cbe(applicant.cbe)
    if cbe in snapshot.by_cbe:
        raise Conflict(f"An institution with CBE number {cbe} is already registered.")
    if find_sector(applicant.sector, applicant.subsector) is None:
        raise InvalidInput(f"The sector {applicant.sector}/{applicant.subsector} is not in the "
                           "sector list.")
    if area_of("municipality", applicant.postal_code) is None:
        raise InvalidInput(f"The postal code {applicant.postal_code!r} is not a Belgian "
                           "postal code of a municipality.")
    grants = [g for found in snapshot.deliberations_by_service.values() for g in found
              if g.reference == applicant.deliberation and g.client_kind == applicant.kind
              and g.valid_on(today)]
    if not grants:
        raise NoDeliberation(f"No valid general deliberation {applicant.deliberation} covers "
                             f"a {applicant.kind}.")
    lists = definitions.for_kind(applicant.kind, applicant.deliberation)
    for definition in lists:
        definition.format_for(applicant.format)
    return Plan(applicant=applicant, cbe=cbe, services=sorted({g.service for g in grants}),
                lists=lists)


def onboard(engine: Engine, definitions: Definitions, applicant: Applicant, *, who: Stamp,
            policy: ListPolicy, types: MutationTypes, today: dt.date) -> dict[str, Any]:
    """Connect the applicant; what it needs to start (its secret is shown only here)."""
    checked = plan(load_snapshot(engine), definitions, applicant, today)
    institution = register_institution(engine, InstitutionSpec(
        cbe=checked.cbe, name_fr=applicant.name_fr, name_nl=applicant.name_nl,
        name_de=applicant.name_de, sector=applicant.sector, subsector=applicant.subsector,
        kind=applicant.kind, role=Role.CLIENT, postal_code=applicant.postal_code),
        stamp=_step(who, "register-institution"))
    made = create_credentials(engine, institution_id=institution.id, scopes=[Scope.CONSULT],
                              stamp=_step(who, "add-credentials"))
    subscription = _mailbox(engine, institution.id, checked, _step(who, "subscribe"))
    period = applicant.period or Period.month_before(today)
    files = []
    for definition in checked.lists:
        files += generate(engine, definitions, definition.name, period, policy=policy,
                          types=types, stamp=_step(who, "generate-list"), cbes=[checked.cbe],
                          today=today)
    return {"cbe": checked.cbe, "kind": applicant.kind, "deliberation": applicant.deliberation,
            "client_id": made.client_id, "client_secret": made.client_secret,
            "scopes": [str(Scope.CONSULT)], "services": checked.services,
            "lists": [d.name for d in checked.lists], "subscription_id": subscription,
            "files": files}


def _mailbox(engine: Engine, institution_id: int, checked: Plan, stamp: Stamp) -> int:
    """The pull subscription to ``list-ready`` and the formats chosen, journaled together."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        made = signal_repository.insert_subscription(connection, {
            "institution_id": institution_id, "mutation_type": LIST_READY, "endpoint": None,
            "secret": new_secret(), "batch_max": 100, "created_at": now})
        for definition in checked.lists:
            repository.choose(connection, definition.name, institution_id,
                              definition.format_for(checked.applicant.format), now)
        change = audit.Change(audit.Kind.SUBSCRIPTION, str(made.id), None,
                              made.state(checked.cbe))
        audit.commit(connection, stamp, [change])
    return made.id


def _step(who: Stamp, action: str) -> Stamp:
    """A stamp of its own for one change of the act, with the act's "who"."""
    return Stamp(replace(who.act, action=action if action == "subscribe" else f"admin-{action}"))
