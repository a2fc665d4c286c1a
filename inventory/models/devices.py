"""Manufacturers, device types, platforms, devices, their interfaces and IP addresses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.enums import DeviceRole, LifecycleStatus


class Manufacturer(Base, InventoryObject, Searchable):
    __tablename__ = "manufacturer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class DeviceType(Base, InventoryObject, Searchable):
    """A hardware model, with the vendor's lifecycle milestones."""

    __tablename__ = "device_type"
    __table_args__ = (UniqueConstraint("manufacturer_id", "model"),)
    search_columns = ("model", "part_number")

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(
        ForeignKey("manufacturer.id", ondelete="RESTRICT"), index=True
    )
    model: Mapped[str] = mapped_column(String(100))
    part_number: Mapped[str | None] = mapped_column(String(100))
    u_height: Mapped[int] = mapped_column(default=1)
    end_of_sale: Mapped[date | None]
    end_of_support: Mapped[date | None]
    end_of_life: Mapped[date | None]

    def __str__(self) -> str:
        return self.model


class Platform(Base, InventoryObject, Searchable):
    """Operating system or firmware family (Cisco IOS, FortiOS, Ubuntu ...)."""

    __tablename__ = "platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturer.id", ondelete="SET NULL"))
    # netmiko device_type used by the SSH collector (cisco_ios, linux, fortinet ...)
    ssh_driver: Mapped[str | None] = mapped_column(String(50))

    def __str__(self) -> str:
        return self.name


class Device(Base, InventoryObject, Searchable):
    __tablename__ = "device"
    __table_args__ = (
        Index("ix_device_site_role", "site_id", "role"),
        # The planner's usual list (status, role, warranty ending) is answered from this index alone.
        Index("ix_device_status_role_warranty", "status", "role", "warranty_end"),
    )
    search_columns = ("name", "serial", "asset_tag", "management_ip", "firmware_version", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[DeviceRole] = mapped_column(Enum(DeviceRole, native_enum=False, length=30))
    device_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("device_type.id", ondelete="RESTRICT"), index=True
    )
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform.id", ondelete="RESTRICT"), index=True
    )
    serial: Mapped[str | None] = mapped_column(String(100), index=True)
    asset_tag: Mapped[str | None] = mapped_column(String(100), unique=True)
    firmware_version: Mapped[str | None] = mapped_column(String(100))
    management_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("rack.id", ondelete="SET NULL"), index=True)
    position: Mapped[int | None] = mapped_column(doc="Lowest rack unit the device occupies")
    owner_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    operating_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[LifecycleStatus] = mapped_column(
        Enum(LifecycleStatus, native_enum=False, length=20), default=LifecycleStatus.active
    )
    purchase_date: Mapped[date | None]
    purchase_cost_vnd: Mapped[Decimal | None] = mapped_column(Numeric(18, 0))
    warranty_end: Mapped[date | None] = mapped_column(index=True)
    credentials_id: Mapped[int | None] = mapped_column(
        ForeignKey("credentials_profile.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class Interface(Base, InventoryObject, Searchable):
    __tablename__ = "interface"
    __table_args__ = (UniqueConstraint("device_id", "name"),)
    search_columns = ("name", "alias", "mac_address")

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    alias: Mapped[str | None] = mapped_column(String(255))
    if_index: Mapped[int | None]
    kind: Mapped[str | None] = mapped_column(String(50))
    mac_address: Mapped[str | None] = mapped_column(String(17))
    speed_mbps: Mapped[int | None]
    mtu: Mapped[int | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    # Alerts fire on oper-down only for interfaces an operator marked important (uplinks ...).
    important: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class IPAddress(Base, InventoryObject, Searchable):
    __tablename__ = "ip_address"
    __table_args__ = (UniqueConstraint("interface_id", "address"),)
    search_columns = ("address", "dns_name")

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(49), index=True, doc="Address with prefix length")
    interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    dns_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.address
