"""lists: the files produced per recipient and the format each recipient chose

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("definition", sa.String(length=80), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("deliberation", sa.String(length=40), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("ticket", sa.String(length=36), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"],
                                name=op.f("fk_list_files_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_files")),
    )
    op.create_index("ix_list_files_institution", "list_files",
                    ["institution_id", "generated_at"], unique=False)
    op.create_index("ix_list_files_definition_period", "list_files",
                    ["definition", "period_start", "period_end"], unique=False)
    op.create_table(
        "list_choices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("definition", sa.String(length=80), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"],
                                name=op.f("fk_list_choices_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_choices")),
        sa.UniqueConstraint("definition", "institution_id",
                            name=op.f("uq_list_choices_definition_institution_id")),
    )


def downgrade() -> None:
    op.drop_table("list_choices")
    op.drop_index("ix_list_files_definition_period", table_name="list_files")
    op.drop_index("ix_list_files_institution", table_name="list_files")
    op.drop_table("list_files")
