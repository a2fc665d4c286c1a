"""Tables of the trap receiver: recent traps (bounded history) and unknown trap OIDs.

Registered in `inventory/migrations/env.py` MODEL_MODULES; the migration is 0500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class TrapLog(Base):
    """Every received trap (mapped or not), kept for `trap_history_days` / `trap_history_max_rows`."""

    __tablename__ = "trap_log"
    __table_args__ = (Index("ix_trap_log_device_received", "device_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(45), index=True, doc="Address the trap came from")
    agent_address: Mapped[str | None] = mapped_column(String(45))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    version: Mapped[str] = mapped_column(String(5))
    security_name: Mapped[str] = mapped_column(String(100), doc="SNMPv3 user or community index")
    inform: Mapped[bool] = mapped_column(default=False)
    trap_oid: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True, doc="Mapping name, or 'unknown'")
    mapped: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(1000))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    varbinds: Mapped[list[Any]] = mapped_column(JSON, default=list)


class UnknownTrap(Base):
    """A trap OID no mapping knows, per source: how often and when, with the last varbinds seen."""

    __tablename__ = "unknown_trap"
    __table_args__ = (UniqueConstraint("trap_oid", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trap_oid: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(45))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"), index=True)
    version: Mapped[str] = mapped_column(String(5))
    count: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_varbinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
