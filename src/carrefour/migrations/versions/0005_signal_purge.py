"""signal: payloads purged once delivered (nullable data, purged_at, the purge's indexes)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signal_mutations", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    unpurged = sa.text("purged_at IS NULL")
    op.create_index(
        "ix_signal_mutations_unpurged_id",
        "signal_mutations",
        ["id"],
        unique=False,
        postgresql_where=unpurged,
        sqlite_where=unpurged,
    )
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=True)
        batch_op.create_index(
            "ix_signal_deliveries_mutation_id", ["mutation_id"], unique=False
        )


def downgrade() -> None:
    empty = sa.text("'{}'")
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_deliveries_mutation_id")
    op.execute(sa.update(sa.table("signal_deliveries", sa.column("data")))
               .where(sa.column("data").is_(None)).values(data=empty))
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=False)
    op.drop_index("ix_signal_mutations_unpurged_id", table_name="signal_mutations")
    op.execute(sa.update(sa.table("signal_mutations", sa.column("data")))
               .where(sa.column("data").is_(None)).values(data=empty))
    with op.batch_alter_table("signal_mutations", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=False)
