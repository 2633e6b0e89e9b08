"""journal: the reference an entry is about (the event id of a mutation)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_journal_entries_reference_seq"), ["reference", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_reference_seq"))
        batch_op.drop_column("reference")
