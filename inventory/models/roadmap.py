"""The architecture's roadmap: plans (a decision and a period) -> phases (giai đoạn) -> tasks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.organization import Agency


class TaskType(StrEnum):
    build = "build"  # a new system
    upgrade = "upgrade"
    integration = "integration"
    infrastructure = "infrastructure"
    security = "security"
    data = "data"
    consulting = "consulting"  # tư vấn kiến trúc
    training = "training"


class FundingSource(StrEnum):
    central = "central"  # ngân sách trung ương
    provincial = "provincial"  # ngân sách tỉnh
    oda = "oda"
    service_lease = "service_lease"  # thuê dịch vụ


class TaskStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class RoadmapPlan(Base, InventoryObject, Searchable):
    __tablename__ = "roadmap_plan"
    search_columns = ("name", "decision_number", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    decision_number: Mapped[str | None] = mapped_column(String(100))
    decision_date: Mapped[date | None]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework_version.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class RoadmapPhase(Base, InventoryObject, Searchable):
    __tablename__ = "roadmap_phase"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("roadmap_plan.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    ordinal: Mapped[int] = mapped_column(default=1)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


task_coordinator_table = Table(
    "roadmap_task_coordinator",
    Base.metadata,
    Column("task_id", ForeignKey("roadmap_task.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class RoadmapTask(Base, InventoryObject, Searchable):
    __tablename__ = "roadmap_task"
    __table_args__ = (CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_range"),)
    search_columns = ("name", "code", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("roadmap_phase.id", ondelete="CASCADE"), index=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[TaskType] = mapped_column(Enum(TaskType, native_enum=False, length=20))
    lead_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    deadline: Mapped[date | None] = mapped_column(index=True)
    budget_estimated_vnd: Mapped[Decimal] = mapped_column(Numeric(18, 0), default=0)
    budget_approved_vnd: Mapped[Decimal] = mapped_column(Numeric(18, 0), default=0)
    budget_disbursed_vnd: Mapped[Decimal] = mapped_column(Numeric(18, 0), default=0)
    funding_source: Mapped[FundingSource] = mapped_column(Enum(FundingSource, native_enum=False, length=20))
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=20), default=TaskStatus.proposed
    )
    percent_complete: Mapped[int] = mapped_column(default=0)
    completed_on: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(String(2000))

    coordinating_agencies: Mapped[list[Agency]] = relationship(
        secondary=task_coordinator_table, lazy="selectin", order_by=Agency.id
    )

    @property
    def coordinating_agency_ids(self) -> list[int]:
        return sorted(agency.id for agency in self.coordinating_agencies)

    def __str__(self) -> str:
        return self.name


class EffectAction(StrEnum):
    creates = "creates"
    changes = "changes"
    retires = "retires"


class EffectTarget(StrEnum):
    information_system = "information_system"
    integration = "integration"
    device = "device"


class RoadmapTaskEffect(Base, InventoryObject):
    """What a task does to the landscape: it creates, changes or retires a system, integration or device."""

    __tablename__ = "roadmap_task_effect"
    __table_args__ = (
        UniqueConstraint("task_id", "action", "target_type", "target_id"),
        # A system's (or device's) page lists the tasks that act on it.
        Index("ix_roadmap_task_effect_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("roadmap_task.id", ondelete="CASCADE"), index=True)
    action: Mapped[EffectAction] = mapped_column(Enum(EffectAction, native_enum=False, length=10))
    target_type: Mapped[EffectTarget] = mapped_column(Enum(EffectTarget, native_enum=False, length=30))
    target_id: Mapped[int]

    def __str__(self) -> str:
        return f"task {self.task_id} {self.action.value} {self.target_type.value}:{self.target_id}"
