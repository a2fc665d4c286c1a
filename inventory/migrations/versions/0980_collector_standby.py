"""remote collectors standing by for a site: they take it over when its collector goes silent

Revision ID: 0980
Revises: 0970
Create Date: 2026-12-01 21:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0980"
down_revision: str | Sequence[str] | None = "0970"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remote_collector", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standby_site_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_remote_collector_standby_site_id"), ["standby_site_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_remote_collector_standby_site_id_site"),
            "site",
            ["standby_site_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_collector", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_remote_collector_standby_site_id_site"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_remote_collector_standby_site_id"))
        batch_op.drop_column("standby_site_id")
