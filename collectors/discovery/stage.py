"""A sweep's results as discovered facts, through the shared staging (`inventory.discovery`).

Devices are matched by serial, then the swept address, then sysName. LLDP/CDP neighbours are
matched by management address, then name; a neighbour known only by its LLDP chassis id (a MAC)
is resolved to a device of the same sweep that owns that MAC. Interfaces and addresses are not
staged one by one (the inventory has no table for them): they are kept in the job's results
and, for a new device, in its fact's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.discovery.reader import DeviceReport
from collectors.discovery.sweep import SweepResult
from inventory import discovery
from inventory.models import Device, DiscoveredFact, FactKind, FactSource


@dataclass
class StageSummary:
    fact_ids: list[int] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    # swept address -> (device id, match reason) for the addresses that matched a device
    matched: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, facts: Iterable[DiscoveredFact]) -> None:
        for fact in facts:
            self.fact_ids.append(fact.id)
            self.by_kind[fact.kind.value] = self.by_kind.get(fact.kind.value, 0) + 1


def observed_device(report: DeviceReport, device_id: int | None = None) -> discovery.ObservedDevice:
    """What SNMP said a device is, as the inventory's staging compares it (`device_id`: the
    inventory device it is known to be, when a collector read its own target)."""
    return discovery.ObservedDevice(
        source=FactSource.snmp,
        address=report.address,
        hostname=report.sys_name,
        serial=report.serial,
        model=report.model,
        firmware_version=report.firmware,
        vendor=report.vendor,
        device_id=device_id,
    )


def observed_neighbours(
    report: DeviceReport, owners: dict[str, DeviceReport]
) -> list[discovery.ObservedNeighbour]:
    """The report's LLDP/CDP neighbours; one known only by its chassis MAC is named after the
    report in `owners` (`by_chassis_mac`) that owns that MAC."""
    neighbours = []
    for neighbour in report.neighbours:
        owner = owners.get(neighbour.chassis_id or "")
        neighbours.append(
            discovery.ObservedNeighbour(
                protocol=neighbour.protocol,
                local_port=neighbour.local_port,
                name=neighbour.name or (owner.sys_name if owner else None),
                address=neighbour.address or (owner.address if owner else None),
                remote_port=neighbour.remote_port,
                data={"chassis_id": neighbour.chassis_id} if neighbour.chassis_id else {},
            )
        )
    return neighbours


def by_chassis_mac(reports: list[DeviceReport]) -> dict[str, DeviceReport]:
    owners: dict[str, DeviceReport] = {}
    for report in reports:
        for interface in report.interfaces:
            if interface.mac:
                owners.setdefault(interface.mac, report)
    return owners


def stage_sweep(session: Session, swept: Iterable[str], result: SweepResult) -> StageSummary:
    summary = StageSummary()
    for report in result.reports:
        facts = discovery.stage_device(session, observed_device(report))
        summary.add(facts)
        device, reason = discovery.match_device(
            session, serial=report.serial, address=report.address, name=report.sys_name
        )
        if device is not None:
            summary.matched[report.address] = (device.id, reason.value)
        elif facts and facts[0].kind is FactKind.new_device:
            # What SNMP saw beyond the compared fields, for the reviewer of a new device.
            facts[0].data = {
                **facts[0].data,
                "sys_descr": report.sys_descr,
                "sys_object_id": report.sys_object_id,
                "interfaces": len(report.interfaces),
                "addresses": report.addresses[:20],
            }
    owners = by_chassis_mac(result.reports)
    for report in result.reports:
        if report.address not in summary.matched or not report.neighbours:
            continue
        neighbours = observed_neighbours(report, owners)
        summary.add(
            discovery.stage_neighbours(
                session, FactSource.snmp, summary.matched[report.address][0], neighbours
            )
        )
    seen = {device_id for device_id, _reason in summary.matched.values()}
    missing = [device_id for device_id in _not_answering(session, swept, result) if device_id not in seen]
    summary.add(discovery.stage_not_seen(session, FactSource.snmp, missing))
    return summary


def _not_answering(session: Session, swept: Iterable[str], result: SweepResult) -> list[int]:
    """Inventory devices whose management address was swept but did not answer (a device that
    answered at another address, matched by serial or name, is not among them: see above)."""
    wanted = set(swept) - {report.address for report in result.reports}
    missing = []
    rows = session.execute(select(Device.id, Device.management_ip).where(Device.management_ip.is_not(None)))
    for device_id, management_ip in rows:
        if str(management_ip).split("/")[0] in wanted:
            missing.append(device_id)
    return missing
