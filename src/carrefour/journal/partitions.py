"""On PostgreSQL the live journal is partitioned by month of ``occurred_at``.

``journal_entries`` is declared ``PARTITION BY RANGE (occurred_at)`` on PostgreSQL (SQLite
keeps its plain table, whose ``seq`` is the rowid). PostgreSQL requires every key of a
partitioned table to include the partition key, so there the primary key is
``(seq, occurred_at)`` and the unique index of tickets ``(ticket, occurred_at)``: a ticket is a
UUIDv7, which holds its own time, so two entries never share one anyway. A ``DEFAULT``
partition takes what no month's partition covers; :func:`ensure_months` creates the
partitions of the current month and the next ones (``carrefour journal archive`` and the
migration do), and :func:`drop_month` drops a month's partition once the archive emptied it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import DDL, Connection, Index, PrimaryKeyConstraint, event, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, Table

log = logging.getLogger(__name__)

TABLE = "journal_entries"
DEFAULT_PARTITION = f"{TABLE}_default"
MONTHS_AHEAD = 2


def is_partition(name: str | None) -> bool:
    """Whether a table of the database is one of the journal's partitions (they are made by
    :func:`ensure_months`, not declared: schema comparisons leave them out)."""
    return bool(name) and re.fullmatch(rf"{TABLE}_(default|\d{{4}}_\d{{2}})", str(name)) is not None


def partition_name(month: str) -> str:
    """``journal_entries_2026_11`` for ``2026-11``."""
    return f"{TABLE}_{month.replace('-', '_')}"


def install(table: Table) -> None:
    """Make ``table`` partitioned on PostgreSQL, with keys that include the partition key."""
    table.dialect_options["postgresql"]["partition_by"] = "RANGE (occurred_at)"
    default = DDL(  # type: ignore[no-untyped-call]  # SQLAlchemy leaves DDL() untyped
        f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    event.listen(table, "after_create", default.execute_if(dialect="postgresql"))


@compiles(PrimaryKeyConstraint, "postgresql")
def _primary_key(constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any) -> str:
    rendered: str = compiler.visit_primary_key_constraint(constraint, **kw)
    if constraint.table is not None and constraint.table.name == TABLE:
        return rendered.replace("PRIMARY KEY (seq)", "PRIMARY KEY (seq, occurred_at)")
    return rendered


@compiles(CreateIndex, "postgresql")
def _create_index(create: CreateIndex, compiler: Any, **kw: Any) -> str:
    rendered: str = compiler.visit_create_index(create, **kw)
    index: Index = create.element
    if _is_ticket_index(index):
        return rendered.replace("(ticket)", "(ticket, occurred_at)")
    return rendered


def _is_ticket_index(index: Index) -> bool:
    return (index.table is not None and index.table.name == TABLE and bool(index.unique)
            and [column.name for column in index.columns] == ["ticket"])


def is_partitioned(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    query = text("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                 "WHERE c.relname = :name AND pg_table_is_visible(c.oid)")
    return connection.execute(query, {"name": TABLE}).first() is not None


def ensure_months(connection: Connection, months: list[str]) -> list[str]:
    """Create the partitions of ``months`` that do not exist yet; returns those created. A
    month whose entries already went to the default partition keeps them there."""
    if not is_partitioned(connection):
        return []
    created = []
    for month in months:
        name = partition_name(month)
        if _exists(connection, name):
            continue
        start, after = _bounds(month)
        if _default_holds(connection, start, after):
            log.warning("journal month %s stays in the default partition (entries are there)",
                        month)
            continue
        connection.execute(text(
            f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM "
            f"('{start.isoformat()}') TO ('{after.isoformat()}')"))
        created.append(month)
    return created


def months_from(moment: dt.datetime, *, ahead: int = MONTHS_AHEAD) -> list[str]:
    """The month of ``moment`` and the ``ahead`` months after it."""
    year, month = moment.year, moment.month
    found = []
    for _ in range(ahead + 1):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def drop_month(connection: Connection, month: str) -> bool:
    """Drop the partition of ``month`` if it is empty (the archive moved its entries)."""
    name = partition_name(month)
    if not is_partitioned(connection) or not _exists(connection, name):
        return False
    if connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None:
        return False
    connection.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {name}"))
    connection.execute(text(f"DROP TABLE {name}"))
    return True


def _bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=dt.UTC)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def _exists(connection: Connection, name: str) -> bool:
    return connection.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() \
        is not None


def _default_holds(connection: Connection, start: dt.datetime, after: dt.datetime) -> bool:
    query = text(f"SELECT 1 FROM {DEFAULT_PARTITION} WHERE occurred_at >= :start "
                 "AND occurred_at < :after LIMIT 1")
    return connection.execute(query, {"start": start, "after": after}).first() is not None
