"""Information security level dossiers (Decree 85/2016/NĐ-CP, cấp độ an toàn hệ thống thông tin)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.systems import Deployment


class LevelState(StrEnum):
    draft = "draft"  # hồ sơ đề xuất cấp độ đang lập
    appraising = "appraising"  # đang thẩm định
    approved = "approved"  # đã phê duyệt
    redetermination_needed = "redetermination_needed"  # cần xác định lại (after an upgrade)


class SecurityLevelRecord(Base, InventoryObject, Searchable):
    """One dossier per system. Its history is the change log."""

    __tablename__ = "security_level_record"
    __table_args__ = (CheckConstraint("proposed_level BETWEEN 1 AND 5", name="level_range"),)
    search_columns = ("decision_number", "criteria", "redetermination_reason")

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(
        ForeignKey("information_system.id", ondelete="CASCADE"), unique=True
    )
    proposed_level: Mapped[int]
    criteria: Mapped[str | None] = mapped_column(String(2000), doc="Why this level (Decree 85 art. 7-11)")
    state: Mapped[LevelState] = mapped_column(
        Enum(LevelState, native_enum=False, length=30), default=LevelState.draft
    )
    decision_number: Mapped[str | None] = mapped_column(String(100))
    decision_date: Mapped[date | None]
    documents: Mapped[list[str]] = mapped_column(default=list)
    redetermination_reason: Mapped[str | None] = mapped_column(String(500))

    def __str__(self) -> str:
        return f"system {self.system_id}: level {self.proposed_level} ({self.state.value})"


# ---------------------------------------------------------------------------------------------
# An approved level holds for the system as it was appraised. Any change to where the system runs
# (a deployment added, moved or removed) re-opens the dossier. Hooked on the ORM session so that
# every write path (API, import, seed, CLI) is covered without having to remember to.

REDETERMINATION_REASON = "deployment changed after approval"


@event.listens_for(Session, "before_flush")
def _flag_redetermination(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    system_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Deployment) and obj.system_id is not None:
            system_ids.add(obj.system_id)
    for obj in session.deleted:
        if isinstance(obj, Deployment):
            system_ids.add(obj.system_id)
    for obj in session.dirty:
        if isinstance(obj, Deployment) and session.is_modified(obj, include_collections=False):
            system_ids.add(obj.system_id)
            previous = inspect(obj).attrs["system_id"].history.deleted
            system_ids.update(value for value in previous if value is not None)
    if not system_ids:
        return
    with session.no_autoflush:
        records = session.scalars(
            select(SecurityLevelRecord).where(
                SecurityLevelRecord.system_id.in_(system_ids),
                SecurityLevelRecord.state == LevelState.approved,
            )
        ).all()
        for record in records:
            record.state = LevelState.redetermination_needed
            record.redetermination_reason = REDETERMINATION_REASON
