"""the audit log: append-only records chained by hash, and the chain's head

Revision ID: 0835
Revises: 0830
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0835"
down_revision: str | Sequence[str] | None = "0830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("object_repr", sa.String(length=255), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_record_action"), ["action"], unique=False)
        batch_op.create_index("ix_audit_record_actor_user_id", ["actor_user_id"], unique=False)
        batch_op.create_index("ix_audit_record_agency_id", ["agency_id"], unique=False)
        batch_op.create_index("ix_audit_record_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_time"), ["time"], unique=False)
    # The chain starts at its head: nothing recorded yet, anchored on the genesis hash.
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer),
            sa.column("last_id", sa.Integer),
            sa.column("last_hash", sa.String),
            sa.column("anchor_id", sa.Integer),
            sa.column("anchor_hash", sa.String),
        ),
        [{"id": 1, "last_id": 0, "last_hash": "0" * 64, "anchor_id": 0, "anchor_hash": "0" * 64}],
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_record_time"))
        batch_op.drop_index(batch_op.f("ix_audit_record_request_id"))
        batch_op.drop_index("ix_audit_record_object")
        batch_op.drop_index("ix_audit_record_agency_id")
        batch_op.drop_index("ix_audit_record_actor_user_id")
        batch_op.drop_index(batch_op.f("ix_audit_record_action"))

    op.drop_table("audit_record")
    op.drop_table("audit_head")
