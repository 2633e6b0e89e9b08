"""Tables of lists: the files produced (one per recipient and run, in its mailbox until it
expires) and the format each recipient chose for each list."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from carrefour.db import metadata

list_files = Table(
    "list_files",
    metadata,
    Column("id", String(36), primary_key=True),  # the file's id (a ticket-shaped UUID)
    Column("definition", String(80), nullable=False),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),
    Column("format", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("deliberation", String(40), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", String(300), nullable=False),  # relative to the lists folder
    Column("ticket", String(36), nullable=False),  # the journal entry of the run
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=True),  # the file deleted then
    Index("ix_list_files_institution", "institution_id", "generated_at"),
    Index("ix_list_files_definition_period", "definition", "period_start", "period_end"),
)

list_choices = Table(
    "list_choices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("definition", String(80), nullable=False),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),
    Column("format", String(10), nullable=False),
    Column("chosen_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("definition", "institution_id"),
)
