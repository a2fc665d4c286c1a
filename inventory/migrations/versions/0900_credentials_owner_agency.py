"""credentials profiles: owner agency (empty: shared, bound only by admins)

Revision ID: 0900
Revises: 0850
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900"
down_revision: str | Sequence[str] | None = "0850"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_agency_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_credentials_profile_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_profile_owner_agency_id_agency"),
            "agency",
            ["owner_agency_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials_profile", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_credentials_profile_owner_agency_id_agency"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_credentials_profile_owner_agency_id"))
        batch_op.drop_column("owner_agency_id")
