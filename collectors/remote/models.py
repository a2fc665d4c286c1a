"""Tables of remote collectors: who they are, which devices they own, and the batches they posted.

A device belongs to at most one remote collector: the one whose site is the device's site, unless
a `CollectorAssignment` names another (or `collector_id = NULL`: polled by the service itself).
Other collectors may stand by for a site; one of them takes it over when its collector goes silent.
Registered in `inventory.model_registry.MODEL_MODULES`; the migrations are 0700 and 0980.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class RemoteCollector(Base):
    """One `eams collect` process, identified by its name and bound to the token that registered it."""

    __tablename__ = "remote_collector"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # One collector per site: two collectors never poll the same device.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"), unique=True)
    # A collector standing by for a site (`eams collect --standby`) polls nothing; it takes the
    # site over when the site's collector has been silent for the site lease.
    standby_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id", ondelete="SET NULL"))
    version: Mapped[str | None] = mapped_column(String(50))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime | None]
    # Health as the collector last reported it.
    targets: Mapped[int] = mapped_column(default=0)
    lag_s: Mapped[float] = mapped_column(default=0.0, doc="Age of the oldest batch not yet delivered")
    spool_batches: Mapped[int] = mapped_column(default=0)
    spool_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    influx_spool_batches: Mapped[int] = mapped_column(default=0)
    # What the service received (each batch counted once, however often it was replayed).
    batches_received: Mapped[int] = mapped_column(default=0)
    samples_received: Mapped[int] = mapped_column(default=0)
    events_received: Mapped[int] = mapped_column(default=0)
    silent: Mapped[bool] = mapped_column(default=False, doc="The silence alert event was published")


class CollectorAssignment(Base):
    """A device-level override of the site rule: this device is polled by `collector_id`
    (NULL: by the service itself)."""

    __tablename__ = "collector_assignment"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("remote_collector.id", ondelete="CASCADE"))


class CollectorBatch(Base):
    """Batch ids already taken in, so that a replayed batch is not evaluated twice."""

    __tablename__ = "collector_batch"
    __table_args__ = (UniqueConstraint("collector_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("remote_collector.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
