"""journal archive: the parts of closed months moved to Parquet

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02 07:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journal_archive",
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("entries", SeqType, nullable=False),
        sa.Column("first_seq", SeqType, nullable=False),
        sa.Column("last_seq", SeqType, nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", "part", name=op.f("pk_journal_archive")),
    )


def downgrade() -> None:
    op.drop_table("journal_archive")
