"""journal archive: the parts of closed months moved to Parquet; on PostgreSQL the live
journal partitioned by month (keys with occurred_at, a default partition)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:30:00.000000
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from carrefour.journal import partitions

revision = "0013"
down_revision = "0012"
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
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_journal(partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild_journal(partitioned=False)
    op.drop_table("journal_archive")


INDEXES = {  # name: columns; the ticket's must include the partition key when partitioned
    "ix_journal_entries_niss_seq": "niss, seq",
    "ix_journal_entries_reference_seq": "reference, seq",
    "ix_journal_entries_client_seq": "client, seq",
}
OLD = "journal_entries_before_0013"


def _rebuild_journal(*, partitioned: bool) -> None:
    """Copy the journal into a new table (partitioned by month, or plain again)."""
    op.execute(f"ALTER TABLE journal_entries RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_journal_entries TO pk_{OLD}")
    for name in (*INDEXES, "ix_journal_entries_ticket"):
        op.execute(f"DROP INDEX {name}")
    key = "seq, occurred_at" if partitioned else "seq"
    by = " PARTITION BY RANGE (occurred_at)" if partitioned else ""
    op.execute(f"CREATE TABLE journal_entries (LIKE {OLD} INCLUDING DEFAULTS "
               f"INCLUDING CONSTRAINTS){by}")
    op.execute(f"ALTER TABLE journal_entries ADD CONSTRAINT pk_journal_entries PRIMARY KEY ({key})")
    if partitioned:
        _create_partitions()
    op.execute(f"INSERT INTO journal_entries SELECT * FROM {OLD} ORDER BY seq")
    op.execute(f"DROP TABLE {OLD}")
    ticket = "ticket, occurred_at" if partitioned else "ticket"
    op.execute(f"CREATE UNIQUE INDEX ix_journal_entries_ticket ON journal_entries ({ticket})")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON journal_entries ({columns})")


def _create_partitions() -> None:
    bind = op.get_bind()
    op.execute(f"CREATE TABLE {partitions.DEFAULT_PARTITION} PARTITION OF journal_entries "
               "DEFAULT")
    oldest = bind.execute(sa.text(f"SELECT min(occurred_at) FROM {OLD}")).scalar()
    now = dt.datetime.now(dt.UTC)
    start = oldest.astimezone(dt.UTC) if oldest is not None else now
    ahead = (now.year - start.year) * 12 + now.month - start.month + partitions.MONTHS_AHEAD
    partitions.ensure_months(bind, partitions.months_from(start, ahead=ahead))
