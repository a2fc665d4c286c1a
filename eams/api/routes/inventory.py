"""The inventory resources under /api/v1/: agencies, sites, racks, devices, credentials ..."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from eams.api.authorization import ensure_profile_usable
from eams.api.errors import Unprocessable
from eams.api.resources import Resource, build_router
from eams.auth import Permission, Principal
from inventory.hierarchy import would_create_cycle
from inventory.models import (
    Agency,
    CredentialsProfile,
    CustomFieldDefinition,
    Device,
    DeviceType,
    Interface,
    IPAddress,
    Location,
    Manufacturer,
    Platform,
    Rack,
    Site,
)
from inventory.models.base import Base
from inventory.schemas import changes, credentials, devices, facilities, organization
from inventory.scoping import ROW_SCOPES, device_scope

__all__ = ["DEVICES", "INVENTORY_RESOURCES", "device_scope", "inventory_router"]


def _agency_before_save(
    session: Session, obj: Agency, values: dict[str, Any], _caller: Principal, _request: Request
) -> None:
    moving = obj.id is not None and "parent_id" in values
    if moving and would_create_cycle(session, obj.id, values["parent_id"]):
        raise Unprocessable("parent_id: an agency cannot sit below itself", field="parent_id")
    if obj.id is not None and values.get("successor_id") == obj.id:
        raise Unprocessable("successor_id: an agency cannot succeed itself", field="successor_id")


def _device_before_save(
    session: Session, obj: Device, values: dict[str, Any], caller: Principal, _request: Request
) -> None:
    profile_id = values.get("credentials_id")
    if profile_id is not None and profile_id != obj.credentials_id:  # only a new binding is judged
        ensure_profile_usable(session, caller, profile_id)


def _credentials_before_save(
    session: Session, obj: CredentialsProfile, values: dict[str, Any], _caller: Principal, request: Request
) -> None:
    box = request.app.state.services.secret_box
    stored = box.open(obj.secrets_encrypted)
    for name in credentials.SECRET_NAMES:
        if name in values:
            secret = values.pop(name)
            if secret is None:
                stored.pop(name, None)
            else:
                stored[name] = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
    merged = {
        key: values.get(key, getattr(obj, key))
        for key in ("kind", "username", "auth_protocol", "priv_protocol")
    }
    problem = credentials.completeness_problem(
        merged["kind"],
        username=merged["username"],
        auth_protocol=merged["auth_protocol"],
        priv_protocol=merged["priv_protocol"],
        secrets=set(stored),
    )
    if problem:
        raise Unprocessable(problem)
    values["secrets_encrypted"] = box.seal(stored)


def _present_credentials(obj: CredentialsProfile, request: Request) -> dict[str, Any]:
    body = credentials.CredentialsRead.model_validate(obj, from_attributes=True).model_dump(mode="json")
    body["secrets_set"] = sorted(request.app.state.services.secret_box.open(obj.secrets_encrypted))
    return body


def _custom_field_before_save(
    _session: Session, _obj: Any, values: dict[str, Any], _caller: Principal, _request: Request
) -> None:
    object_type = values.get("object_type")
    if object_type is None:
        return
    tables = {t.name for t in Base.metadata.sorted_tables if "custom_fields" in t.c}
    if object_type not in tables:
        raise Unprocessable(
            f"object_type: {object_type!r} has no custom fields; use one of {', '.join(sorted(tables))}",
            field="object_type",
        )


DEVICES = Resource(
    "devices",
    Device,
    devices.DeviceCreate,
    devices.DeviceUpdate,
    devices.DeviceRead,
    "device",
    "devices",
    scope=ROW_SCOPES["device"],
    before_save=_device_before_save,
)

INVENTORY_RESOURCES = (
    Resource(
        "agencies",
        Agency,
        organization.AgencyCreate,
        organization.AgencyUpdate,
        organization.AgencyRead,
        "agency",
        "organization",
        scope=ROW_SCOPES["agency"],
        before_save=_agency_before_save,
    ),
    Resource(
        "sites",
        Site,
        facilities.SiteCreate,
        facilities.SiteUpdate,
        facilities.SiteRead,
        "site",
        "facilities",
    ),
    Resource(
        "locations",
        Location,
        facilities.LocationCreate,
        facilities.LocationUpdate,
        facilities.LocationRead,
        "location",
        "facilities",
    ),
    Resource(
        "racks",
        Rack,
        facilities.RackCreate,
        facilities.RackUpdate,
        facilities.RackRead,
        "rack",
        "facilities",
    ),
    Resource(
        "manufacturers",
        Manufacturer,
        devices.ManufacturerCreate,
        devices.ManufacturerUpdate,
        devices.ManufacturerRead,
        "manufacturer",
        "devices",
    ),
    Resource(
        "device-types",
        DeviceType,
        devices.DeviceTypeCreate,
        devices.DeviceTypeUpdate,
        devices.DeviceTypeRead,
        "device type",
        "devices",
    ),
    Resource(
        "platforms",
        Platform,
        devices.PlatformCreate,
        devices.PlatformUpdate,
        devices.PlatformRead,
        "platform",
        "devices",
    ),
    DEVICES,
    Resource(
        "interfaces",
        Interface,
        devices.InterfaceCreate,
        devices.InterfaceUpdate,
        devices.InterfaceRead,
        "interface",
        "devices",
        scope=ROW_SCOPES["interface"],
    ),
    Resource(
        "ip-addresses",
        IPAddress,
        devices.IPAddressCreate,
        devices.IPAddressUpdate,
        devices.IPAddressRead,
        "IP address",
        "devices",
        scope=ROW_SCOPES["ip_address"],
    ),
    Resource(
        "credentials",
        CredentialsProfile,
        credentials.CredentialsCreate,
        credentials.CredentialsUpdate,
        credentials.CredentialsRead,
        "credentials profile",
        "credentials",
        scope=ROW_SCOPES["credentials_profile"],
        before_save=_credentials_before_save,
        present=_present_credentials,
        read_permission=Permission.read_secrets_meta,
        write_permission=Permission.manage_credentials,
        exclude_filters=frozenset({"search_text", "secrets_encrypted"}),
    ),
    Resource(
        "custom-fields",
        CustomFieldDefinition,
        changes.CustomFieldCreate,
        changes.CustomFieldUpdate,
        changes.CustomFieldRead,
        "custom field",
        "extras",
        before_save=_custom_field_before_save,
        write_permission=Permission.configure,
    ),
)


def inventory_router() -> APIRouter:
    router = APIRouter()
    for resource in INVENTORY_RESOURCES:
        router.include_router(build_router(resource))
    return router
