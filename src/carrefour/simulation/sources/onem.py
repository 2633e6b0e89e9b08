"""The simulated ONEM (RVA): unemployment periods and allowances, temporary unemployment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select

from carrefour.errors import InvalidPeriod
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found, iso
from carrefour.simulation.sources.schema import unemployment_periods as periods_table

_PERIODS = (
    select(periods_table)
    .where(periods_table.c.niss == bindparam("niss"))
    .order_by(periods_table.c.starts_on, periods_table.c.id)
)


def unemployment(connection: Connection, request: SourceRequest, _: SourceIdentity) -> SourceAnswer:
    first, last = _window(request.parameters)
    rows = _periods(connection, request.niss)
    if not rows:
        return NOT_FOUND
    chosen = [row for row in rows if _overlaps(row, first, last)]
    today = dt.date.today()
    return found({
        "periods": [_period(row) for row in chosen],
        "temporary_unemployment_days": _temporary_days(chosen),
        "currently_unemployed": _current(rows, today, kind="complete") is not None,
        "daily_allowance": _allowance(_current(rows, today)),
    })


def social_statuses(
    connection: Connection, request: SourceRequest, _: SourceIdentity
) -> SourceAnswer:
    rows = _periods(connection, request.niss)
    if not rows:
        return NOT_FOUND
    return found({
        "currently_unemployed": _current(rows, dt.date.today(), kind="complete") is not None,
        "temporary_unemployment_days": _temporary_days(rows),
    })


def _periods(connection: Connection, niss: str | None) -> list[RowMapping]:
    return list(connection.execute(_PERIODS, {"niss": niss}).mappings())


def _window(parameters: Any) -> tuple[dt.date | None, dt.date | None]:
    first = _date(parameters.get("from"))
    last = _date(parameters.get("to"))
    if first is not None and last is not None and last < first:
        raise InvalidPeriod(f"The parameter 'to' ({last}) is before 'from' ({first}).")
    return first, last


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _overlaps(row: RowMapping, first: dt.date | None, last: dt.date | None) -> bool:
    starts_before_end = last is None or row["starts_on"] <= last
    ends_after_start = first is None or row["ends_on"] is None or row["ends_on"] >= first
    return starts_before_end and ends_after_start


def _current(rows: Sequence[RowMapping], today: dt.date, *, kind: str | None = None
             ) -> RowMapping | None:
    for row in reversed(rows):
        running = row["starts_on"] <= today and (row["ends_on"] is None or row["ends_on"] >= today)
        if running and (kind is None or row["kind"] == kind):
            return row
    return None


def _temporary_days(rows: Sequence[RowMapping]) -> int:
    return sum(row["days"] or 0 for row in rows if row["kind"] == "temporary")


def _allowance(row: RowMapping | None) -> float | None:
    return None if row is None else row["daily_allowance_cents"] / 100


def _period(row: RowMapping) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "start": iso(row["starts_on"]),
        "end": iso(row["ends_on"]),
        "days": row["days"],
        "daily_allowance": _allowance(row),
    }


HANDLERS: dict[str, Handler] = {
    "unemployment": unemployment,
    "social-statuses": social_statuses,
}
