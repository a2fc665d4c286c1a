"""Contracts: purchase, warranty, support, service lease, licence; the devices and systems they cover."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Enum, ForeignKey, Index, Numeric, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.devices import Device
from inventory.models.systems import InformationSystem


class ContractKind(StrEnum):
    purchase = "purchase"
    warranty = "warranty"
    support = "support"
    service_lease = "service_lease"  # thuê dịch vụ CNTT
    licence = "licence"


contract_device_table = Table(
    "contract_device",
    Base.metadata,
    Column("contract_id", ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True),
    Column("device_id", ForeignKey("device.id", ondelete="CASCADE"), primary_key=True),
    # The key starts with contract_id; a device's page asks the other way round (its contracts).
    Index("ix_contract_device_device_id", "device_id"),
)

contract_system_table = Table(
    "contract_system",
    Base.metadata,
    Column("contract_id", ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("information_system.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contract_system_system_id", "system_id"),  # a system's contracts (its page)
)


class Contract(Base, InventoryObject, Searchable):
    __tablename__ = "contract"
    search_columns = ("code", "name", "vendor", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(100), unique=True, doc="Số hợp đồng")
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[ContractKind] = mapped_column(Enum(ContractKind, native_enum=False, length=20))
    vendor: Mapped[str | None] = mapped_column(String(255))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None] = mapped_column(index=True)
    value_vnd: Mapped[Decimal | None] = mapped_column(Numeric(18, 0))
    description: Mapped[str | None] = mapped_column(String(2000))

    # Loaded when used (writes, a contract's own objects), not with every contract read: one
    # province-wide support contract covers thousands of devices, and a page or an API list of 50
    # contracts would load them all (2.4 s of CPU at 100,000 devices) where ids are what it shows.
    devices: Mapped[list[Device]] = relationship(
        secondary=contract_device_table, lazy="select", order_by=Device.id
    )
    systems: Mapped[list[InformationSystem]] = relationship(
        secondary=contract_system_table, lazy="select", order_by=InformationSystem.id
    )

    @property
    def device_ids(self) -> list[int]:
        return self._covered_ids("devices", contract_device_table.c.device_id)

    @property
    def system_ids(self) -> list[int]:
        return self._covered_ids("systems", contract_system_table.c.system_id)

    def _covered_ids(self, relationship_name: str, column: Column[int]) -> list[int]:
        """The collection's ids: from the objects when they are loaded (a write just set them),
        else straight from the association table's key (no Device or system objects)."""
        session = object_session(self)
        if relationship_name in self.__dict__ or session is None or self.id is None:
            return sorted(item.id for item in getattr(self, relationship_name))
        statement = select(column).where(column.table.c.contract_id == self.id).order_by(column)
        return list(session.scalars(statement))

    def __str__(self) -> str:
        return self.name
