"""signal: dead-letter time counted from the first attempt; a subscription's failing state

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("signal_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signal_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.drop_column("first_attempt_at")
