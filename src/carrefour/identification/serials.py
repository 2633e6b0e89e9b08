"""Allocation of BIS serials without collision, whatever the number of concurrent creations.

One counter row per (prefix, parity) holds the last serial handed out. A creation moves it with
``UPDATE ... SET last_serial = last_serial + step ... RETURNING``, in the transaction that
inserts the person: on PostgreSQL the row lock makes concurrent creators queue (READ COMMITTED
re-reads the row after the wait), on SQLite ``BEGIN IMMEDIATE`` serialises writers. The counter
row is created with ``INSERT ... ON CONFLICT DO NOTHING`` so that two first creations of a prefix
do not fail either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from carrefour.errors import BisSerialsExhausted
from carrefour.identification.bis import SerialSeries
from carrefour.identification.tables import bis_serials


def allocate_serial(connection: Connection, prefix: str, series: SerialSeries) -> int:
    """The next serial of ``series`` under ``prefix``; raise when none is left."""
    _ensure_counter(connection, prefix, series)
    counter = bis_serials.c
    serial: int = connection.execute(
        bis_serials.update()
        .where(counter.prefix == prefix, counter.parity == series.parity.value)
        .values(last_serial=counter.last_serial + series.step)
        .returning(counter.last_serial)
    ).scalar_one()
    if serial > series.last:
        raise BisSerialsExhausted(
            f"Every {series.parity.value} serial of the BIS prefix {prefix} is taken.",
            prefix=prefix,
        )
    return serial


def _ensure_counter(connection: Connection, prefix: str, series: SerialSeries) -> None:
    values = {
        "prefix": prefix,
        "parity": series.parity.value,
        "last_serial": series.first - series.step,
    }
    connection.execute(_insert_ignoring_duplicate(connection, bis_serials, values))


def _insert_ignoring_duplicate(
    connection: Connection, table: Table, values: dict[str, Any]
) -> Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    return sqlite.insert(table).values(values).on_conflict_do_nothing()
