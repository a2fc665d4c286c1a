"""Contracts: purchase, warranty, support, service lease, licence; the devices and systems they cover."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Enum, ForeignKey, Index, Numeric, String, Table
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship
from sqlalchemy.orm.interfaces import ORMOption

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

    devices: Mapped[list[Device]] = relationship(
        secondary=contract_device_table, lazy="selectin", order_by=Device.id
    )
    systems: Mapped[list[InformationSystem]] = relationship(
        secondary=contract_system_table, lazy="selectin", order_by=InformationSystem.id
    )

    @property
    def device_ids(self) -> list[int]:
        return sorted(item.id for item in self.devices)

    @property
    def system_ids(self) -> list[int]:
        return sorted(item.id for item in self.systems)

    def __str__(self) -> str:
        return self.name


def contract_headers_only() -> tuple[ORMOption, ...]:
    """Loader options for reading contracts without the devices and systems they cover (loaded
    eagerly by default, for the API's id lists): a page that shows a contract's name and dates
    need not load the thousands of devices a province-wide support contract covers."""
    return (lazyload(Contract.devices), lazyload(Contract.systems))
