"""What one agent is: system group, ENTITY-MIB chassis, interfaces, addresses, LLDP/CDP neighbours.

Numeric OIDs only (Debian ships no MIB files); names beside them in comments.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from collectors.snmp.engine import VarBind
from collectors.snmp.profile import ProfileSet

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYSTEM_OIDS = [SYS_DESCR, SYS_OBJECT_ID, SYS_NAME]

ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1"  # entPhysicalEntry
ENT_CONTAINED_IN, ENT_CLASS = ENT_PHYSICAL + ".4", ENT_PHYSICAL + ".5"
ENT_FIRMWARE, ENT_SOFTWARE = ENT_PHYSICAL + ".9", ENT_PHYSICAL + ".10"
ENT_SERIAL, ENT_MODEL = ENT_PHYSICAL + ".11", ENT_PHYSICAL + ".13"
CHASSIS_CLASS = 3

IF_DESCR, IF_PHYS_ADDRESS = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.6"
IF_NAME, IF_HIGH_SPEED, IF_ALIAS = (
    "1.3.6.1.2.1.31.1.1.1.1",
    "1.3.6.1.2.1.31.1.1.1.15",
    "1.3.6.1.2.1.31.1.1.1.18",
)
IP_AD_ENT_IF_INDEX = "1.3.6.1.2.1.4.20.1.2"  # ipAddrTable, index = the IPv4 address
IP_ADDRESS_IF_INDEX = "1.3.6.1.2.1.4.34.1.3"  # ipAddressTable, index = type.length.octets

LLDP_LOC_PORT_ID, LLDP_LOC_PORT_DESC = "1.0.8802.1.1.2.1.3.7.1.3", "1.0.8802.1.1.2.1.3.7.1.4"
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"  # lldpRemEntry, index = timeMark.localPortNum.remIndex
LLDP_REM_CHASSIS_SUBTYPE, LLDP_REM_CHASSIS_ID = LLDP_REM + ".4", LLDP_REM + ".5"
LLDP_REM_PORT_ID, LLDP_REM_SYS_NAME = LLDP_REM + ".7", LLDP_REM + ".9"
LLDP_REM_MAN_ADDR_IF_SUBTYPE = "1.0.8802.1.1.2.1.4.2.1.3"  # index carries the address
CDP_CACHE = "1.3.6.1.4.1.9.9.23.1.2.1.1"  # cdpCacheEntry, index = ifIndex.deviceIndex
CDP_ADDRESS, CDP_DEVICE_ID, CDP_DEVICE_PORT = CDP_CACHE + ".4", CDP_CACHE + ".6", CDP_CACHE + ".7"

WALKED = [
    ENT_CONTAINED_IN, ENT_CLASS, ENT_FIRMWARE, ENT_SOFTWARE, ENT_SERIAL, ENT_MODEL,
    IF_DESCR, IF_PHYS_ADDRESS, IF_NAME, IF_HIGH_SPEED, IF_ALIAS,
    IP_AD_ENT_IF_INDEX, IP_ADDRESS_IF_INDEX,
    LLDP_LOC_PORT_ID, LLDP_LOC_PORT_DESC, LLDP_REM_CHASSIS_SUBTYPE, LLDP_REM_CHASSIS_ID,
    LLDP_REM_PORT_ID, LLDP_REM_SYS_NAME, LLDP_REM_MAN_ADDR_IF_SUBTYPE,
    CDP_ADDRESS, CDP_DEVICE_ID, CDP_DEVICE_PORT,
]  # fmt: skip


@dataclass(slots=True)
class Interface:
    index: int
    name: str | None
    alias: str | None
    speed_mbps: int | None
    mac: str | None


@dataclass(slots=True)
class Neighbour:
    protocol: str  # lldp | cdp
    local_port: str | None
    name: str | None
    address: str | None
    remote_port: str | None
    chassis_id: str | None = None


@dataclass(slots=True)
class DeviceReport:
    """Everything read from one answering address."""

    address: str
    credentials: str  # the credentials profile that answered
    sys_name: str | None
    sys_descr: str | None
    sys_object_id: str | None
    snmp_profile: str
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    interfaces: list[Interface] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    neighbours: list[Neighbour] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def text(value: int | bytes | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    cleaned = str(value).replace("\x00", "").strip()
    return cleaned or None


def mac(value: int | bytes | str | None) -> str | None:
    if isinstance(value, bytes) and len(value) == 6:
        return ":".join(f"{octet:02x}" for octet in value)
    return None


def _column(walks: dict[str, list[VarBind]], column: str) -> dict[str, int | bytes | str | None]:
    """Row index (the OID after the column) -> value."""
    return {vb.oid[len(column) + 1 :]: vb.value for vb in walks.get(column, []) if vb.exists}


@cache
def _vendors() -> dict[int, str]:
    loaded = yaml.safe_load((Path(__file__).parent / "vendors.yaml").read_text()) or {}
    return {int(key): str(value) for key, value in loaded.items()}


def vendor_of(sys_object_id: str | None) -> str | None:
    prefix = "1.3.6.1.4.1."
    if not sys_object_id or not sys_object_id.startswith(prefix):
        return None
    enterprise = sys_object_id[len(prefix) :].split(".")[0]
    return _vendors().get(int(enterprise)) if enterprise.isdigit() else None


def system_report(
    address: str, credentials: str, system: dict[str, VarBind], profiles: ProfileSet
) -> DeviceReport:
    sys_object_id = text(system[SYS_OBJECT_ID].value) if SYS_OBJECT_ID in system else None
    sys_descr = text(system[SYS_DESCR].value) if SYS_DESCR in system else None
    return DeviceReport(
        address=address,
        credentials=credentials,
        sys_name=text(system[SYS_NAME].value) if SYS_NAME in system else None,
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        snmp_profile=profiles.choose(sys_object_id, sys_descr).name,
        vendor=vendor_of(sys_object_id),
    )


def fill_from_walks(report: DeviceReport, walks: dict[str, list[VarBind]]) -> None:
    _chassis(report, walks)
    report.interfaces = _interfaces(walks)
    report.addresses = _addresses(walks)
    names = {str(i.index): i.name for i in report.interfaces}
    report.neighbours = _lldp(walks) + _cdp(walks, names)


def _chassis(report: DeviceReport, walks: dict[str, list[VarBind]]) -> None:
    classes = _column(walks, ENT_CLASS)
    contained = _column(walks, ENT_CONTAINED_IN)
    chassis = [index for index, value in classes.items() if value == CHASSIS_CLASS]
    # The outermost chassis (contained in nothing) when a stack lists several.
    chassis.sort(key=lambda index: (contained.get(index) not in (0, None), int(index.split(".")[0])))
    if not chassis:
        return
    index = chassis[0]
    report.model = text(_column(walks, ENT_MODEL).get(index))
    report.serial = text(_column(walks, ENT_SERIAL).get(index))
    # Software revision names the running image on most vendors; firmware is the fallback.
    report.firmware = text(_column(walks, ENT_SOFTWARE).get(index)) or text(
        _column(walks, ENT_FIRMWARE).get(index)
    )


def _interfaces(walks: dict[str, list[VarBind]]) -> list[Interface]:
    descr, names = _column(walks, IF_DESCR), _column(walks, IF_NAME)
    aliases, speeds, macs = (
        _column(walks, IF_ALIAS),
        _column(walks, IF_HIGH_SPEED),
        _column(walks, IF_PHYS_ADDRESS),
    )
    found = []
    for index in sorted(set(descr) | set(names), key=lambda i: int(i) if i.isdigit() else 0):
        if not index.isdigit():
            continue
        speed = speeds.get(index)
        found.append(
            Interface(
                index=int(index),
                name=text(names.get(index)) or text(descr.get(index)),
                alias=text(aliases.get(index)),
                speed_mbps=speed if isinstance(speed, int) else None,
                mac=mac(macs.get(index)),
            )
        )
    return found


def _addresses(walks: dict[str, list[VarBind]]) -> list[str]:
    found: dict[str, None] = {}
    for index in _column(walks, IP_AD_ENT_IF_INDEX):
        found.setdefault(index, None)
    for index in _column(walks, IP_ADDRESS_IF_INDEX):
        parts = [int(p) for p in index.split(".")]
        if len(parts) >= 3 and parts[0] in (1, 2) and parts[1] == len(parts) - 2:
            found.setdefault(str(ipaddress.ip_address(bytes(parts[2:]))), None)
    return list(found)


def _lldp(walks: dict[str, list[VarBind]]) -> list[Neighbour]:
    local_ids, local_descr = _column(walks, LLDP_LOC_PORT_ID), _column(walks, LLDP_LOC_PORT_DESC)
    subtypes, chassis = _column(walks, LLDP_REM_CHASSIS_SUBTYPE), _column(walks, LLDP_REM_CHASSIS_ID)
    ports, names = _column(walks, LLDP_REM_PORT_ID), _column(walks, LLDP_REM_SYS_NAME)
    management: dict[str, str] = {}
    for index in _column(walks, LLDP_REM_MAN_ADDR_IF_SUBTYPE):
        parts = index.split(".")  # timeMark.localPort.remIndex.addrSubtype.length.octets
        if len(parts) == 9 and parts[3] == "1" and parts[4] == "4":
            management.setdefault(".".join(parts[:3]), ".".join(parts[5:]))
    found = []
    for index in sorted(set(names) | set(chassis) | set(ports)):
        local_port = index.split(".")[1] if index.count(".") == 2 else None
        raw_chassis = chassis.get(index)
        chassis_id = mac(raw_chassis) if subtypes.get(index) == 4 else text(raw_chassis)
        found.append(
            Neighbour(
                protocol="lldp",
                local_port=text(local_descr.get(local_port or ""))
                or text(local_ids.get(local_port or ""))
                or local_port,
                name=text(names.get(index)),
                address=management.get(index),
                remote_port=text(ports.get(index)),
                chassis_id=chassis_id or mac(raw_chassis) or text(raw_chassis),
            )
        )
    return found


def _cdp(walks: dict[str, list[VarBind]], if_names: dict[str, str | None]) -> list[Neighbour]:
    addresses, ids, ports = (
        _column(walks, CDP_ADDRESS),
        _column(walks, CDP_DEVICE_ID),
        _column(walks, CDP_DEVICE_PORT),
    )
    found = []
    for index in sorted(set(ids) | set(addresses), key=lambda i: tuple(int(p) for p in i.split("."))):
        raw = addresses.get(index)
        address = str(ipaddress.IPv4Address(raw)) if isinstance(raw, bytes) and len(raw) == 4 else None
        if_index = index.split(".")[0]
        found.append(
            Neighbour(
                protocol="cdp",
                local_port=if_names.get(if_index) or if_index,
                name=text(ids.get(index)),
                address=address,
                remote_port=text(ports.get(index)),
            )
        )
    return found
