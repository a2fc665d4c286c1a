"""Discovery jobs: one sweep, its progress and its results, kept so that a restart still shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"
    interrupted = "interrupted"  # the service stopped while it ran


class DiscoveryJob(Base):
    __tablename__ = "discovery_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=20), default=JobState.queued
    )
    ranges: Mapped[list[str]] = mapped_column(JSON, default=list)
    credentials: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Credentials profile names, in order"
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    found: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    # Devices read (system, chassis, interfaces, addresses, neighbours), errors by address,
    # and the ids of the facts staged.
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(2000))
    requested_by: Mapped[str | None] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
