"""Typed edges between inventory and architecture nodes, with redundancy groups.

One table serves the impact analysis (architecture), dependency suppression (alerts) and the
links discovery proposes from LLDP/CDP. An edge reads "source <kind> target":
  hosted_on   a system or VM runs on a device          (system -> device)
  depends_on  source needs target to work              (access switch -> core switch uplink)
  serves      source provides service to target        (system -> agency / public service)
  flows_to    data goes from source to target          (system -> system)
  connected_to a physical or logical link (LLDP/CDP)   (device <-> device)
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable


class EdgeKind(StrEnum):
    hosted_on = "hosted_on"
    depends_on = "depends_on"
    serves = "serves"
    flows_to = "flows_to"
    connected_to = "connected_to"


class NodeType(StrEnum):
    """Tables an edge may point at. Later layers add theirs (information_system ...)."""

    device = "device"
    interface = "interface"
    agency = "agency"
    information_system = "information_system"
    deployment = "deployment"
    data_object = "data_object"
    public_service = "public_service"


class EdgeState(StrEnum):
    confirmed = "confirmed"
    proposed = "proposed"  # found by discovery, waiting for review
    rejected = "rejected"


class RedundancyGroup(Base, InventoryObject, Searchable):
    """N interchangeable nodes of which at least `min_up` must be up (a cluster, an HA pair)."""

    __tablename__ = "redundancy_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    min_up: Mapped[int] = mapped_column(default=1)
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class Dependency(Base, InventoryObject):
    __tablename__ = "dependency"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "kind", "target_type", "target_id"),
        Index("ix_dependency_source", "source_type", "source_id"),
        Index("ix_dependency_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[NodeType] = mapped_column(Enum(NodeType, native_enum=False, length=30))
    source_id: Mapped[int]
    kind: Mapped[EdgeKind] = mapped_column(Enum(EdgeKind, native_enum=False, length=20))
    target_type: Mapped[NodeType] = mapped_column(Enum(NodeType, native_enum=False, length=30))
    target_id: Mapped[int]
    # Targets that share a group back each other up: the source is served while min_up of them are.
    redundancy_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("redundancy_group.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[EdgeState] = mapped_column(
        Enum(EdgeState, native_enum=False, length=20), default=EdgeState.confirmed
    )
    origin: Mapped[str] = mapped_column(String(50), default="manual", doc="manual, lldp, cdp, import ...")
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        source = f"{self.source_type.value}:{self.source_id}"
        return f"{source} {self.kind.value} {self.target_type.value}:{self.target_id}"
