"""Which inventory device sent a message: first by the source address (the device's management IP,
then any address on its interfaces), then by the names the message carries (hostname in the
header, FortiGate devname, PAN-OS device name ...) against device names and DNS names, then by a
serial number (FortiGate devid, PAN-OS serial) against the inventory's serials.

Kept in memory and refreshed every `ttl` seconds, or sooner (at most every `miss_refresh` seconds)
when a sender is not found, so a device added to the inventory is recognised within seconds
without a query per message. The directory is read in a worker thread (`refresh` does database
work); `resolve` only reads dictionaries.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select

from inventory.db import Database
from inventory.models import Device, Interface, IPAddress


@dataclass(frozen=True, slots=True)
class KnownDevice:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Resolution:
    device: KnownDevice
    by: str  # management_ip, interface_ip, hostname, serial


class DeviceResolver:
    def __init__(self, db: Database | None, ttl: float = 300.0, miss_refresh: float = 10.0) -> None:
        self.db = db
        self.ttl = ttl
        self.miss_refresh = miss_refresh
        self._management: dict[str, KnownDevice] = {}
        self._interfaces: dict[str, KnownDevice] = {}
        self._names: dict[str, KnownDevice] = {}
        self._serials: dict[str, KnownDevice] = {}
        self._loaded_at = float("-inf")
        self.refreshes = 0

    def needs_refresh(self, missed: bool = False) -> bool:
        if self.db is None:
            return False
        age = time.monotonic() - self._loaded_at
        return age > self.ttl or (missed and age > self.miss_refresh)

    def refresh(self) -> None:
        """Read the inventory (worker thread)."""
        if self.db is None:
            return
        with self.db.session() as session:
            devices = session.execute(
                select(Device.id, Device.name, Device.management_ip, Device.serial)
            ).all()
            addresses = session.execute(
                select(
                    IPAddress.address, IPAddress.dns_name, IPAddress.device_id, Interface.device_id
                ).outerjoin(Interface, IPAddress.interface_id == Interface.id)
            ).all()
        by_id = {row.id: KnownDevice(row.id, row.name) for row in devices}
        self.load(
            management={
                canonical(row.management_ip): by_id[row.id] for row in devices if canonical(row.management_ip)
            },
            interfaces={
                canonical(address): by_id[owner]
                for address, _dns, direct, via_interface in addresses
                if (owner := direct or via_interface) in by_id and canonical(address)
            },
            names={
                **{_name(dns): by_id[owner] for _a, dns, direct, via in addresses
                   if dns and (owner := direct or via) in by_id},
                **{_name(row.name): by_id[row.id] for row in devices},
            },
            serials={row.serial.strip().upper(): by_id[row.id] for row in devices if row.serial},
        )  # fmt: skip

    def load(
        self,
        management: dict[str, KnownDevice],
        interfaces: dict[str, KnownDevice] | None = None,
        names: dict[str, KnownDevice] | None = None,
        serials: dict[str, KnownDevice] | None = None,
    ) -> None:
        """Replace the directory (the service reads it from the inventory; a remote collector from
        its targets)."""
        self._management = management
        self._interfaces = interfaces or {}
        self._names = names or {}
        self._serials = serials or {}
        self._loaded_at = time.monotonic()
        self.refreshes += 1

    def resolve(
        self, source: str, names: Iterable[str] = (), serials: Iterable[str] = ()
    ) -> Resolution | None:
        address = canonical(source)
        if found := self._management.get(address):
            return Resolution(found, "management_ip")
        if found := self._interfaces.get(address):
            return Resolution(found, "interface_ip")
        for name in names:
            key = _name(name)
            if key and (found := self._names.get(key) or self._names.get(key.split(".", 1)[0])):
                return Resolution(found, "hostname")
        for serial in serials:
            if found := self._serials.get(serial.strip().upper()):
                return Resolution(found, "serial")
        return None


def _name(value: str | None) -> str:
    return (value or "").strip().strip(".").lower()


@lru_cache(maxsize=65_536)
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
