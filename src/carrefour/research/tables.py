"""Tables of research extracts: the projects registered (their privacy budget and what was
spent of it) and each release made to a project."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from carrefour.db import metadata

research_projects = Table(
    "research_projects",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", Text, nullable=False),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),  # the researcher
    Column("deliberation", String(40), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("statuses", JSON, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    # The salt of the project's pseudonym key (not a secret without the hub's research key).
    Column("key_salt", String(64), nullable=False),
    # Epsilon in millionths, so that the sum spent is exact; NULL budget: no DP release.
    Column("budget_micro", BigInteger, nullable=True),
    Column("spent_micro", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

research_releases = Table(
    "research_releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", ForeignKey("research_projects.id"), nullable=False),
    Column("ticket", String(36), nullable=False),  # the extract's journal entry
    Column("kind", String(20), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("epsilon_micro", BigInteger, nullable=True),  # what a DP release spent
    Column("persons", Integer, nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
    Index("ix_research_releases_project", "project_id", "id"),
)
