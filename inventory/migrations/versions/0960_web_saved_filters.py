"""saved filters of the web lists: a name for a query string, per person or token

Revision ID: 0960
Revises: 0950
Create Date: 2026-12-01 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0960"
down_revision: str | Sequence[str] | None = "0950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("page", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_saved_filter")),
        sa.UniqueConstraint("owner", "page", "name", name=op.f("uq_web_saved_filter_owner")),
    )


def downgrade() -> None:
    op.drop_table("web_saved_filter")
