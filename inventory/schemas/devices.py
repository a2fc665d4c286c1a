"""Manufacturers, device types, platforms, devices, interfaces, IP addresses."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from inventory.models.enums import DeviceRole, LifecycleStatus
from inventory.schemas.common import (
    Description,
    IPAddressText,
    IPInterfaceText,
    MoneyVND,
    Name,
    ObjectId,
    ShortText,
    Stored,
    Tagging,
    partial,
    text,
)


class ManufacturerCreate(Tagging):
    name: ShortText
    description: Description | None = None


ManufacturerUpdate = partial(ManufacturerCreate)


class ManufacturerRead(Stored):
    name: str
    description: str | None


class DeviceTypeCreate(Tagging):
    manufacturer_id: ObjectId
    model: ShortText
    part_number: ShortText | None = None
    u_height: Annotated[int, Field(ge=0, le=60)] = 1
    end_of_sale: date | None = None
    end_of_support: date | None = None
    end_of_life: date | None = None


DeviceTypeUpdate = partial(DeviceTypeCreate)


class DeviceTypeRead(Stored):
    manufacturer_id: int
    model: str
    part_number: str | None
    u_height: int
    end_of_sale: date | None
    end_of_support: date | None
    end_of_life: date | None


class PlatformCreate(Tagging):
    name: ShortText
    manufacturer_id: ObjectId | None = None
    ssh_driver: text(50, 1) | None = Field(  # type: ignore[valid-type]
        default=None, description="netmiko device_type: cisco_ios, linux, fortinet ..."
    )


PlatformUpdate = partial(PlatformCreate)


class PlatformRead(Stored):
    name: str
    manufacturer_id: int | None
    ssh_driver: str | None


class DeviceCreate(Tagging):
    name: Name
    role: DeviceRole
    device_type_id: ObjectId | None = None
    platform_id: ObjectId | None = None
    serial: ShortText | None = None
    asset_tag: ShortText | None = None
    firmware_version: ShortText | None = None
    management_ip: IPAddressText | None = None
    site_id: ObjectId | None = None
    rack_id: ObjectId | None = None
    position: Annotated[int, Field(ge=1, le=60)] | None = None
    owner_agency_id: ObjectId | None = None
    operating_agency_id: ObjectId | None = None
    status: LifecycleStatus = LifecycleStatus.active
    purchase_date: date | None = None
    purchase_cost_vnd: MoneyVND | None = None
    warranty_end: date | None = None
    credentials_id: ObjectId | None = None
    description: Description | None = None


DeviceUpdate = partial(DeviceCreate)


class DeviceRead(Stored):
    name: str
    role: DeviceRole
    device_type_id: int | None
    platform_id: int | None
    serial: str | None
    asset_tag: str | None
    firmware_version: str | None
    management_ip: str | None
    site_id: int | None
    rack_id: int | None
    position: int | None
    owner_agency_id: int | None
    operating_agency_id: int | None
    status: LifecycleStatus
    purchase_date: date | None
    purchase_cost_vnd: int | None
    warranty_end: date | None
    credentials_id: int | None
    description: str | None


class InterfaceCreate(Tagging):
    device_id: ObjectId
    name: ShortText
    alias: Name | None = None
    if_index: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    kind: text(50, 1) | None = None  # type: ignore[valid-type]
    mac_address: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")] | None = None
    speed_mbps: Annotated[int, Field(ge=0, le=10**7)] | None = None
    mtu: Annotated[int, Field(ge=68, le=65535)] | None = None
    enabled: bool = True
    important: bool = Field(False, description="Alert when this interface goes down")
    description: Description | None = None


InterfaceUpdate = partial(InterfaceCreate)


class InterfaceRead(Stored):
    device_id: int
    name: str
    alias: str | None
    if_index: int | None
    kind: str | None
    mac_address: str | None
    speed_mbps: int | None
    mtu: int | None
    enabled: bool
    important: bool
    description: str | None


class IPAddressCreate(Tagging):
    address: IPInterfaceText
    interface_id: ObjectId | None = None
    device_id: ObjectId | None = None
    dns_name: text(255, 1) | None = None  # type: ignore[valid-type]
    description: Description | None = None


IPAddressUpdate = partial(IPAddressCreate)


class IPAddressRead(Stored):
    address: str
    interface_id: int | None
    device_id: int | None
    dns_name: str | None
    description: str | None
