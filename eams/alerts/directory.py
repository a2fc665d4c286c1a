"""What the engine knows about devices, cached from the inventory and refreshed periodically:
name, role, agency, site, tags, important interfaces, lifecycle dates, upstream devices and the
systems hosted on each device (for messages and dependency suppression)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from inventory.db import Database
from inventory.device_tags import tag_agency_id
from inventory.models import (
    Agency,
    Dependency,
    Device,
    DeviceType,
    EdgeKind,
    EdgeState,
    Interface,
    ObjectChange,
    Site,
)
from inventory.models.base import Base

log = logging.getLogger(__name__)

# Edges whose target is upstream of their source: when the target is down the source cannot answer.
# Not connected_to: it is a two-way link between neighbours (see inventory/models/topology.py) and
# says nothing about which side depends on the other.
UPSTREAM_KINDS = (EdgeKind.depends_on, EdgeKind.hosted_on)


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    name: str
    role: str = ""
    agency_id: int | None = None
    agency: str = ""
    site_id: int | None = None
    site: str = ""
    tags: frozenset[str] = frozenset()
    important_interfaces: frozenset[str] = frozenset()
    upstream: tuple[int, ...] = ()
    systems: tuple[str, ...] = ()
    dates: dict[str, date | None] = field(default_factory=dict)

    scope_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Keys under which the rule index files rules scoped to this device (computed once).
        object.__setattr__(self, "scope_keys", tuple(self._scope_keys()))

    def _scope_keys(self) -> list[str]:
        keys = ["*", f"device:{self.id}"]
        if self.role:
            keys.append(f"role:{self.role}")
        if self.agency_id is not None:
            keys.append(f"agency:{self.agency_id}")
        if self.site_id is not None:
            keys.append(f"site:{self.site_id}")
        keys.extend(f"tag:{tag}" for tag in self.tags)
        return keys


# What an alert about no inventory device names as its device when nothing better is known: the
# service's own alerts (its event loop, refused notifications) are about eams itself.
SERVICE_NAME = "eams"


def unknown_device(device_id: int | None) -> DeviceInfo:
    return DeviceInfo(id=device_id or 0, name=f"device {device_id}" if device_id else SERVICE_NAME)


class DeviceDirectory:
    def __init__(self, db: Database, miss_refresh_seconds: float = 5.0) -> None:
        self.db = db
        self.devices: dict[int, DeviceInfo] = {}
        self.by_address: dict[str, int] = {}
        # A device added since the last refresh triggers one early, at most this often.
        self.miss_refresh_seconds = miss_refresh_seconds
        self._refreshed_at = float("-inf")
        self._version: int | None = None
        self.generation = 0  # counts refreshes, so users notice one made by any caller

    def get(self, device_id: int | None) -> DeviceInfo:
        if device_id is None:
            return unknown_device(None)
        found = self.devices.get(device_id)
        if found is None and time.monotonic() - self._refreshed_at >= self.miss_refresh_seconds:
            self.refresh()
            found = self.devices.get(device_id)
        return found or unknown_device(device_id)

    def refresh_if_changed(self) -> bool:
        """Refresh when the inventory's change log moved on (devices, interfaces, edges, agencies)."""
        with self.db.session() as session:
            version = session.scalar(select(func.max(ObjectChange.id)))
        if version == self._version:
            return False
        self.refresh()
        return True

    def refresh(self) -> None:
        self._refreshed_at = time.monotonic()
        with self.db.session() as session:
            self._version = session.scalar(select(func.max(ObjectChange.id)))
            agencies = {a.id: a.name for a in session.scalars(select(Agency))}
            sites = {s.id: s.name for s in session.scalars(select(Site))}
            types = {t.id: t for t in session.scalars(select(DeviceType))}
            important: dict[int, set[str]] = {}
            for iface in session.scalars(select(Interface).where(Interface.important.is_(True))):
                important.setdefault(iface.device_id, set()).add(iface.name)
            upstream: dict[int, list[int]] = {}
            hosted: dict[int, list[tuple[str, int]]] = {}
            edges = session.scalars(
                select(Dependency).where(Dependency.state == EdgeState.confirmed).order_by(Dependency.id)
            )
            for edge in edges:
                if edge.target_type.value != "device":
                    continue
                if edge.source_type.value == "device" and edge.kind in UPSTREAM_KINDS:
                    upstream.setdefault(edge.source_id, []).append(edge.target_id)
                if edge.kind is EdgeKind.hosted_on:  # systems and VMs named in the device's alerts
                    hosted.setdefault(edge.target_id, []).append((edge.source_type.value, edge.source_id))
            names = _node_names(session, hosted)
            contract_ends = _contract_ends(session)
            devices: dict[int, DeviceInfo] = {}
            for device in session.scalars(select(Device)):
                agency_id = tag_agency_id(device)  # the agency the samples' `agency` tag names
                dtype = types.get(device.device_type_id) if device.device_type_id else None
                devices[device.id] = DeviceInfo(
                    id=device.id,
                    name=device.name,
                    role=device.role.value,
                    agency_id=agency_id,
                    agency=agencies.get(agency_id, "") if agency_id else "",
                    site_id=device.site_id,
                    site=sites.get(device.site_id, "") if device.site_id else "",
                    tags=frozenset(device.tags or ()),
                    important_interfaces=frozenset(important.get(device.id, ())),
                    upstream=tuple(upstream.get(device.id, ())),
                    systems=tuple(
                        names.get(node, f"{node[0]}:{node[1]}") for node in hosted.get(device.id, ())
                    ),
                    dates={
                        "warranty_end": device.warranty_end,
                        "end_of_sale": dtype.end_of_sale if dtype else None,
                        "end_of_support": dtype.end_of_support if dtype else None,
                        "end_of_life": dtype.end_of_life if dtype else None,
                        **contract_ends.get(device.id, {}),
                    },
                )
            addresses = {
                device.management_ip: device.id
                for device in session.scalars(select(Device).where(Device.management_ip.is_not(None)))
                if device.management_ip
            }
        self.devices = devices
        self.by_address = addresses
        self.generation += 1

    def resolve(self, device_id: int | None, address: str | None) -> DeviceInfo:
        """The device an event names, or the one whose management address sent it (traps)."""
        host = address.split(":")[0].split("/")[0] if address else ""
        if device_id is None and host:
            device_id = self.by_address.get(host)
            if device_id is None:  # not in the inventory: name it by the address that sent it
                return DeviceInfo(id=0, name=host)
        return self.get(device_id)


def _contract_ends(session: Any) -> dict[int, dict[str, date]]:
    """Per device, when its cover of each contract kind ends: `<kind>_contract_end` is the latest
    end date of the contracts of that kind covering it (a renewal extends the cover, so the latest,
    not the earliest, is what expires). Contracts arrive with the architecture layer."""
    contracts = Base.metadata.tables.get("contract")
    covered = Base.metadata.tables.get("contract_device")
    if contracts is None or covered is None:
        return {}
    ends: dict[int, dict[str, date]] = {}
    rows = session.execute(
        select(covered.c.device_id, contracts.c.kind, func.max(contracts.c.end_date))
        .join(contracts, contracts.c.id == covered.c.contract_id)
        .where(contracts.c.end_date.is_not(None))
        .group_by(covered.c.device_id, contracts.c.kind)
    )
    for device_id, kind, end in rows:
        ends.setdefault(device_id, {})[f"{kind}_contract_end"] = end
    return ends


def _node_names(session: Any, hosted: dict[int, list[tuple[str, int]]]) -> dict[tuple[str, int], str]:
    """Names of hosted nodes, read from their own tables when those tables exist (information
    systems arrive with the architecture layer; until then the edge is shown as type:id)."""
    wanted: dict[str, set[int]] = {}
    for nodes in hosted.values():
        for node_type, node_id in nodes:
            wanted.setdefault(node_type, set()).add(node_id)
    names: dict[tuple[str, int], str] = {}
    for node_type, ids in wanted.items():
        table = Base.metadata.tables.get(node_type)
        if table is None or "name" not in table.c:
            continue
        for row in session.execute(select(table.c.id, table.c.name).where(table.c.id.in_(ids))):
            names[(node_type, row.id)] = row.name
    return names
