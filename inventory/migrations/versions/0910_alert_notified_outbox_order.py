"""alerts: what each alert has been notified of; outbox delivery order and refused rows

`alert.notified` is the state whose notification is queued (a restart inside group_wait knows
the FIRING is still owed); `alert_outbox.order_key` keeps one group's rows in order. Alerts
that exist already count as notified in the state they are in.

Revision ID: 0910
Revises: 0900
Create Date: 2026-12-01 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0910"
down_revision: str | Sequence[str] | None = "0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("notified", sa.String(length=20), nullable=True))
    op.execute("UPDATE alert SET notified = state")
    with op.batch_alter_table("alert_outbox") as batch:
        batch.add_column(sa.Column("order_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_alert_outbox_order", ["receiver", "order_key", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox") as batch:
        batch.drop_index("ix_alert_outbox_order")
        batch.drop_column("order_key")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("notified")
