"""What a granting institution may receive about the holders of a right: the fields of the
deliberation the rule names, for the ``derived-rights`` service and the institution's kind."""

from __future__ import annotations

import datetime as dt

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.domain import Deliberation
from carrefour.errors import DeliberationExpired, NoDeliberation
from carrefour.rights.domain import Rule

DERIVED_RIGHTS = "derived-rights"


def deliberation_for(snapshot: ReferenceSnapshot, rule: Rule, client_kind: str,
                     today: dt.date) -> Deliberation:
    """The valid deliberation of the rule for that kind of institution, or the refusal."""
    covering = [d for d in snapshot.deliberations_by_service.get(DERIVED_RIGHTS, [])
                if d.reference == rule.deliberation and d.client_kind == client_kind]
    valid = [d for d in covering if d.valid_on(today)]
    if valid:
        return valid[0]
    if covering:
        raise DeliberationExpired(f"The deliberation {rule.deliberation} of the right "
                                  f"{rule.name!r} is not valid on {today}.")
    raise NoDeliberation(f"No deliberation {rule.deliberation} gives a {client_kind} the "
                         f"holders of the right {rule.name!r}.")


def granted_fields(snapshot: ReferenceSnapshot, rule: Rule, client_kind: str,
                   today: dt.date) -> frozenset[str]:
    """The fields given (empty: none, no valid deliberation)."""
    grant = grant_for(snapshot, rule, client_kind, today)
    return frozenset() if grant is None else grant.fields


def grant_for(snapshot: ReferenceSnapshot, rule: Rule, client_kind: str,
              today: dt.date) -> Deliberation | None:
    """The valid deliberation of the rule for that kind, or None."""
    try:
        return deliberation_for(snapshot, rule, client_kind, today)
    except NoDeliberation:
        return None
