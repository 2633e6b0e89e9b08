"""journal: administrative changes (audit rows, and their digest in the hash chain)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_digest", sa.Text(), nullable=True))
    op.create_table(
        "audit_changes",
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("before_state", sa.Text(), nullable=True),
        sa.Column("after_state", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("ticket", "position", name=op.f("pk_audit_changes")),
    )
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_changes_kind_key"), ["kind", "key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_changes_kind_key"))
    op.drop_table("audit_changes")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_column("audit_digest")
