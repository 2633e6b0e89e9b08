"""statuses and rights: the buffer of harmonised social statuses, households, derived rights

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ssh_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("niss", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("action_rank", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssh_statuses")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_ssh_statuses_source_event_id")),
    )
    op.create_index("ix_ssh_statuses_niss", "ssh_statuses", ["niss"], unique=False)
    op.create_table(
        "ssh_households",
        sa.Column("niss", sa.String(length=11), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("niss", "since", name=op.f("pk_ssh_households")),
    )
    op.create_index(
        "ix_ssh_households_household", "ssh_households", ["household_id"], unique=False
    )
    op.create_table(
        "rights_granted",
        sa.Column("right_name", sa.String(length=80), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=False),
        sa.Column("niss", sa.String(length=11), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("right_name", "household_id", name=op.f("pk_rights_granted")),
    )


def downgrade() -> None:
    op.drop_table("rights_granted")
    op.drop_index("ix_ssh_households_household", table_name="ssh_households")
    op.drop_table("ssh_households")
    op.drop_index("ix_ssh_statuses_niss", table_name="ssh_statuses")
    op.drop_table("ssh_statuses")
