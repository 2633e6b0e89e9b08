"""journal: keyed links (each entry's format) and the id of the chain key in the head

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every entry written so far is unkeyed (format 1): the server default says so at once,
    # without rewriting the rows.
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("format", sa.SmallInteger(), server_default=sa.text("1"), nullable=False)
        )
    with op.batch_alter_table("journal_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal_head", schema=None) as batch_op:
        batch_op.drop_column("key_id")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_column("format")
