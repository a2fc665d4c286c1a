"""The latest SNMP poll status of each device (one row per device, replaced on every poll)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base


class DevicePollStatus(Base):
    __tablename__ = "device_poll_status"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    polled_at: Mapped[datetime]
    reachable: Mapped[bool]
    duration_s: Mapped[float]
    varbinds: Mapped[int]
    errors: Mapped[int]
    timeouts: Mapped[int]
    # Counted by the scheduler: polls that could not start on time because the previous one ran on.
    missed_polls: Mapped[int] = mapped_column(default=0)
    profile: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(String(1000))
