"""console: institutions' German names, confidential deliberations, journal by client

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_de", sa.Text(), nullable=True))
    with op.batch_alter_table("deliberations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidential_days", sa.Integer(), nullable=True))
    op.create_index("ix_journal_entries_client_seq", "journal_entries", ["client", "seq"])


def downgrade() -> None:
    op.drop_index("ix_journal_entries_client_seq", table_name="journal_entries")
    with op.batch_alter_table("deliberations", schema=None) as batch_op:
        batch_op.drop_column("confidential_days")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("name_de")
