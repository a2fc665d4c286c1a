"""Discovered facts: what collectors (SNMP discovery, SSH) observed, staged for an operator's review.

Nothing a collector finds is written straight into the inventory. Each observation becomes a
`DiscoveredFact` matched to a device (by serial, then management IP, then name), with the value
the inventory holds now; an operator accepts it (the inventory is written through the ORM, so the
change log records the reviewer) or rejects it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class FactSource(StrEnum):
    ssh = "ssh"
    snmp = "snmp"


class FactKind(StrEnum):
    new_device = "new_device"  # nothing in the inventory matches what was found
    changed_field = "changed_field"  # a known device reports another value (firmware upgraded ...)
    not_seen = "not_seen"  # an inventory device did not answer a sweep that should have found it
    neighbour = "neighbour"  # an LLDP/CDP link between two known devices (a proposed Dependency)


class FactState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class MatchReason(StrEnum):
    serial = "serial"
    management_ip = "management_ip"
    name = "name"
    collected = "collected"  # the collector polled this very inventory device (SSH backups)
    none = "none"


class DiscoveredFact(Base):
    __tablename__ = "discovered_fact"
    __table_args__ = (
        Index("ix_discovered_fact_state_device", "state", "device_id"),
        Index("ix_discovered_fact_identity", "kind", "field", "device_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[FactSource] = mapped_column(Enum(FactSource, native_enum=False, length=10))
    kind: Mapped[FactKind] = mapped_column(Enum(FactKind, native_enum=False, length=20))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    match_reason: Mapped[MatchReason] = mapped_column(Enum(MatchReason, native_enum=False, length=20))
    # Where it was observed: the address polled (or the neighbour's address for new devices).
    address: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(50), doc="Device column (serial, model ...) or 'device'/'link'")
    observed_value: Mapped[str | None] = mapped_column(String(2000))
    current_value: Mapped[str | None] = mapped_column(String(2000))
    # Details that do not fit one value: a new device's name, address and role; a link's ends.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dependency_id: Mapped[int | None] = mapped_column(ForeignKey("dependency.id", ondelete="SET NULL"))
    state: Mapped[FactState] = mapped_column(
        Enum(FactState, native_enum=False, length=10), default=FactState.pending
    )
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    times_seen: Mapped[int] = mapped_column(default=1)
    reviewer: Mapped[str | None] = mapped_column(String(150))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return f"{self.kind.value} {self.field}={self.observed_value!r}"
