"""Client credentials of institutions (secrets stored hashed only)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Table, Text

from carrefour.db import metadata

credentials = Table(
    "credentials",
    metadata,
    Column("client_id", String(80), primary_key=True),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False, index=True),
    Column("secret_hash", Text, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
