"""Tables of the reference directory."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from carrefour.db import metadata

institutions = Table(
    "institutions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cbe", String(10), nullable=False, unique=True),
    Column("name_fr", Text, nullable=False),
    Column("name_nl", Text, nullable=False),
    Column("name_de", Text, nullable=True),  # NULL: the French name is shown
    Column("sector", Integer, nullable=False),
    Column("subsector", Integer, nullable=False),
    Column("kind", String(40), nullable=False, index=True),
    Column("role", String(10), nullable=False),
    Column("endpoint", Text, nullable=True),
    Column("source_token", Text, nullable=True),
    Column("postal_code", String(4), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("niss", String(11), nullable=False),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),
    Column("quality_code", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("unregistered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_integrations_niss_institution", "niss", "institution_id"),
    Index("ix_integrations_institution", "institution_id"),
)

deliberations = Table(
    "deliberations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("client_kind", String(40), nullable=False),
    Column("quality_codes", JSON, nullable=False),
    Column("service", String(80), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=True),
    # For a service whose items carry a sector: the sectors the grant covers (NULL: all).
    Column("sectors", JSON, nullable=True),
    # Exchanges under the grant are withheld from the person for so many days (NULL: never).
    Column("confidential_days", Integer, nullable=True),
    UniqueConstraint("reference", "client_kind", "service"),
)

availability = Table(
    "availability",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(80), nullable=False),
    Column("source_kind", String(40), nullable=False),
    Column("quality_codes", JSON, nullable=True),
    UniqueConstraint("service", "source_kind"),
)

reference_version = Table(
    "reference_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)
