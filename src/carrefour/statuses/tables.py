"""Tables of the status buffer: the versions of the sources' status records as they stand,
and the households persons belong to (from the National Register)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from carrefour.db import metadata

# One row per status record of a source (its event id): the newest version received.
statuses = Table(
    "ssh_statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(20), nullable=False),  # CBE number of the authentic source
    Column("event_id", String(100), nullable=False),
    Column("niss", String(11), nullable=False),
    Column("status", String(40), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("cancelled", Boolean, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("action_rank", Integer, nullable=False),
    Column("source_ref", String(100), nullable=False),
    UniqueConstraint("source", "event_id"),
    Index("ix_ssh_statuses_niss", "niss"),
)

# From ``since`` on, the person belongs to the household (until a later row says otherwise).
households = Table(
    "ssh_households",
    metadata,
    Column("niss", String(11), nullable=False),
    Column("since", Date, nullable=False),
    Column("household_id", String(40), nullable=False),
    Column("postal_code", String(10), nullable=True),
    Column("source", String(20), nullable=False),
    PrimaryKeyConstraint("niss", "since"),
    Index("ix_ssh_households_household", "household_id"),
)
