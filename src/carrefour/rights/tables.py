"""Tables of derived rights: which household holds which right, as last told to the granting
institutions (so that each change is told exactly once)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, PrimaryKeyConstraint, String, Table

from carrefour.db import metadata

granted = Table(
    "rights_granted",
    metadata,
    Column("right_name", String(80), nullable=False),
    Column("household_id", String(40), nullable=False),
    Column("niss", String(11), nullable=False),  # the member the notices are about
    Column("active", Boolean, nullable=False),
    Column("since", Date, nullable=False),
    Column("version", Integer, nullable=False),  # notices sent so far
    PrimaryKeyConstraint("right_name", "household_id"),
)
