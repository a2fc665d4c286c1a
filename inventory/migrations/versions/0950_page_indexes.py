"""indexes the web pages read by: a device's and a system's contracts, the tasks acting on a target

The contract association tables' keys start with contract_id, so "the contracts of this device"
read the whole table; roadmap task effects were found by target only through a full scan.

Revision ID: 0950
Revises: 0910
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0950"
down_revision: str | Sequence[str] | None = "0910"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contract_device_device_id", "contract_device", ["device_id"], unique=False)
    op.create_index("ix_contract_system_system_id", "contract_system", ["system_id"], unique=False)
    op.create_index(
        "ix_roadmap_task_effect_target", "roadmap_task_effect", ["target_type", "target_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_roadmap_task_effect_target", table_name="roadmap_task_effect")
    op.drop_index("ix_contract_system_system_id", table_name="contract_system")
    op.drop_index("ix_contract_device_device_id", table_name="contract_device")
