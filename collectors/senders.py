"""Which inventory device sent a trap or a log message: source or agent address -> the device's
management IP, with the device's tags (inventory.device_tags) for the samples it leads to.

Kept in memory and refreshed every `ttl` seconds, or sooner (at most every `miss_refresh`
seconds) when an address is not found, so a device added to the inventory is recognised quickly
without a query per trap. Interface names by ifIndex come along for the linkDown/linkUp labels.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from inventory.db import Database
from inventory.device_tags import device_tags, with_tag_names
from inventory.models import Device, Interface


@dataclass(frozen=True, slots=True)
class KnownDevice:
    id: int
    name: str
    tags: dict[str, str] = field(default_factory=dict, compare=False)


class SenderDirectory:
    def __init__(self, db: Database, ttl: float = 300.0, miss_refresh: float = 10.0) -> None:
        self.db = db
        self.ttl = ttl
        self.miss_refresh = miss_refresh
        self._by_address: dict[str, KnownDevice] = {}
        self._interfaces: dict[tuple[int, int], str] = {}
        self._loaded_at = float("-inf")
        self.refreshes = 0

    def refresh(self) -> None:
        with self.db.session() as session:
            devices = session.execute(
                with_tag_names(
                    select(Device.id, Device.name, Device.role, Device.management_ip).where(
                        Device.management_ip.is_not(None)
                    )
                )
            ).all()
            interfaces = session.execute(
                select(Interface.device_id, Interface.if_index, Interface.name).where(
                    Interface.if_index.is_not(None)
                )
            ).all()
        self._by_address = {
            canonical(address): KnownDevice(device_id, name, device_tags(name, role, site, agency))
            for device_id, name, role, address, site, agency in devices
            if canonical(address)
        }
        self._interfaces = {
            (device_id, if_index): name for device_id, if_index, name in interfaces if if_index is not None
        }
        self._loaded_at = time.monotonic()
        self.refreshes += 1

    def resolve(self, *addresses: str | None) -> KnownDevice | None:
        """The device whose management IP is the first of `addresses` that the inventory knows."""
        age = time.monotonic() - self._loaded_at
        if age > self.ttl:
            self.refresh()
        found = self._lookup(addresses)
        if found is None and time.monotonic() - self._loaded_at > self.miss_refresh:
            self.refresh()
            found = self._lookup(addresses)
        return found

    def _lookup(self, addresses: tuple[str | None, ...]) -> KnownDevice | None:
        for address in addresses:
            if address and (device := self._by_address.get(canonical(address))):
                return device
        return None

    def interface_name(self, device_id: int, if_index: int) -> str | None:
        return self._interfaces.get((device_id, if_index))


def canonical(address: str | None) -> str:
    """`10.0.0.1`, `10.0.0.1/24` and `::ffff:10.0.0.1` all become `10.0.0.1`; junk becomes ''."""
    if not address:
        return ""
    try:
        parsed = ipaddress.ip_interface(address.strip()).ip
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(parsed)
