"""Carrying a person's files over to the number that replaced theirs.

When a BIS number is replaced, every open integration of the old number (not unregistered, not
expired) gets a new row for the new number: same institution, quality code and period. The old
row is closed at the moment of the replacement (``unregistered_at``), so the directory answers
finality for the new number only, and the expiry notices are not sent twice. An institution
that already holds an open file on the new number with the same quality code keeps that one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, insert, or_, select, update

from carrefour.directory import repository as repo
from carrefour.directory.domain import Integration
from carrefour.directory.tables import integrations


@dataclass(frozen=True, slots=True)
class CarriedOver:
    """One file of the old number, and the row that continues it (None: the institution
    already held that file on the new number)."""

    old: Integration
    new: Integration | None


def carry_over(
    connection: Connection, *, old: str, new: str, today: dt.date, now: dt.datetime
) -> list[CarriedOver]:
    """Carry the open integrations of ``old`` over to ``new``, in the caller's transaction."""
    moving = _open_integrations(connection, old, today)
    if not moving:
        return []
    held = {(i.institution_id, i.quality_code) for i in _open_integrations(connection, new, today)}
    carried = [_continue(connection, i, new, now, held) for i in moving]
    connection.execute(
        update(integrations)
        .where(integrations.c.id.in_([i.id for i in moving]))
        .values(unregistered_at=now)
    )
    return carried


def _open_integrations(connection: Connection, niss: str, today: dt.date) -> list[Integration]:
    query = (
        select(integrations)
        .where(
            integrations.c.niss == niss,
            integrations.c.unregistered_at.is_(None),
            or_(integrations.c.ends_on.is_(None), integrations.c.ends_on >= today),
        )
        .order_by(integrations.c.id)
        .with_for_update()
    )
    return [repo.to_integration(row) for row in connection.execute(query).mappings()]


def _continue(
    connection: Connection,
    old: Integration,
    new: str,
    now: dt.datetime,
    held: set[tuple[int, int]],
) -> CarriedOver:
    if (old.institution_id, old.quality_code) in held:
        return CarriedOver(old, None)
    values = repo.integration_values(
        niss=new,
        institution_id=old.institution_id,
        quality_code=old.quality_code,
        starts_on=old.starts_on,
        ends_on=old.ends_on,
        now=now,
    )
    inserted = connection.execute(insert(integrations).values(values).returning(integrations))
    held.add((old.institution_id, old.quality_code))
    return CarriedOver(old, repo.to_integration(inserted.mappings().one()))
