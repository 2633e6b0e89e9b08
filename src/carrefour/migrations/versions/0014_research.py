"""research extracts: the projects (their privacy budget and what was spent of it) and each
release made to a project

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "research_projects",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("deliberation", sa.String(length=40), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("key_salt", sa.String(length=64), nullable=False),
        sa.Column("budget_micro", sa.BigInteger(), nullable=True),
        sa.Column("spent_micro", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"],
                                name=op.f("fk_research_projects_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_projects")),
    )
    op.create_table(
        "research_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("ticket", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("epsilon_micro", sa.BigInteger(), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["research_projects.id"],
                                name=op.f("fk_research_releases_project_id_research_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_releases")),
    )
    op.create_index("ix_research_releases_project", "research_releases", ["project_id", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_research_releases_project", table_name="research_releases")
    op.drop_table("research_releases")
    op.drop_table("research_projects")
