"""Turns a received trap into an Event (for the alert engine), a `snmp_trap` Sample (for InfluxDB)
and a stored record, using the mappings and the inventory's management addresses.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectors.pipeline import Pipeline
from collectors.samples import Event, Sample, Severity
from collectors.senders import KnownDevice, SenderDirectory
from collectors.traps.mappings import MISSING, TrapMappings, render, template_fields
from collectors.traps.receiver import ReceivedTrap
from collectors.traps.store import TrapRecord, TrapStore

log = logging.getLogger(__name__)

EVENT_KIND = "snmp_trap"
MEASUREMENT = "snmp_trap"
UNKNOWN = "unknown"
MAX_LABEL_CHARS = 200


@dataclass(frozen=True, slots=True)
class ProcessedTrap:
    event: Event
    sample: Sample
    record: TrapRecord


class TrapProcessor:
    """The handler the receiver calls for every accepted trap."""

    def __init__(
        self,
        mappings: TrapMappings,
        pipeline: Pipeline,
        devices: SenderDirectory | None = None,
        store: TrapStore | None = None,
    ) -> None:
        self.mappings = mappings
        self.pipeline = pipeline
        self.devices = devices
        self.store = store
        self.counts: Counter[str] = Counter()
        self.store_errors = 0

    async def __call__(self, trap: ReceivedTrap) -> None:
        device = await asyncio.to_thread(self._resolve, trap) if self.devices else None
        processed = self.process(trap, device)
        self.counts["mapped" if processed.record.mapped else "unknown"] += 1
        if self.store is not None:
            try:
                await asyncio.to_thread(self.store.record, processed.record)
            except Exception:  # a database hiccup must not lose the event for the alert engine
                self.store_errors += 1
                log.exception("storing a trap from %s failed", trap.source)
        await self.pipeline.publish_event(processed.event)
        await self.pipeline.publish_samples([processed.sample])

    def _resolve(self, trap: ReceivedTrap) -> KnownDevice | None:
        assert self.devices is not None
        # A v1 agent-addr (or a relay's snmpTrapAddress) names the real origin; then the sender.
        return self.devices.resolve(trap.agent_address, trap.source)

    def process(self, trap: ReceivedTrap, device: KnownDevice | None) -> ProcessedTrap:
        varbinds = [(vb.oid, vb.value) for vb in trap.varbinds]
        values: dict[str, Any] = self.mappings.named_values(varbinds)
        if device is not None and "ifName" not in values and isinstance(values.get("ifIndex"), int):
            if_name = self.devices.interface_name(device.id, values["ifIndex"]) if self.devices else None
            if if_name:
                values["ifName"] = if_name
        values.update(
            source=trap.source,
            agent_address=trap.agent_address or MISSING,
            device=device.name if device else trap.source,
            trap_oid=trap.trap_oid,
            version=trap.version,
            uptime=trap.uptime if trap.uptime is not None else MISSING,
        )
        mapping = self.mappings.match(trap.trap_oid, values)
        if mapping is not None:
            rule = mapping.rule
            name, severity, vendor = rule.name, rule.severity, mapping.vendor
            category: str = rule.category
            message = render(rule.message, values)
            extra = {
                key: render(template, values)[:MAX_LABEL_CHARS]
                for key, template in rule.labels.items()
                if all(field in values for field in template_fields(template))
            }
        else:
            name, severity, category, vendor = UNKNOWN, Severity.info, UNKNOWN, UNKNOWN
            message = f"{values['device']}: unknown trap {trap.trap_oid or '(none)'}"
            extra = {}
        labels = {"category": category, "vendor": vendor, **extra}
        varbind_data = [
            {"oid": vb.oid, "name": self.mappings.name_of(vb.oid), "type": vb.type, "value": vb.value}
            for vb in trap.varbinds
        ]
        data = {
            "trap_oid": trap.trap_oid,
            "version": trap.version,
            "security_name": trap.security_name,
            "inform": trap.inform,
            "agent_address": trap.agent_address,
            "source_port": trap.source_port,
            "uptime": trap.uptime,
            "mapping": mapping.source_file if mapping else None,
            "varbinds": varbind_data,
        }
        event = Event(
            kind=EVENT_KIND,
            name=name,
            severity=Severity(severity),
            message=message,
            source=trap.source,
            device_id=device.id if device else None,
            labels=labels,
            data=data,
            time_ns=trap.received_ns,
        )
        tags = {
            "source": trap.source,
            "name": name,
            "severity": str(severity),
            "category": category,
            "vendor": vendor,
            "version": trap.version,
        }
        if device is not None:
            tags |= device.tags  # device, role, site, agency
        sample = Sample(
            measurement=MEASUREMENT,
            tags=tags,
            # Field types are fixed (count and varbinds integers, the rest strings) so that a strict
            # InfluxDB never sees a type change.
            fields={
                "count": 1,
                "trap_oid": trap.trap_oid,
                "message": message,
                "varbinds": len(trap.varbinds),
            },
            time_ns=trap.received_ns,
            device_id=device.id if device else None,
        )
        record = TrapRecord(
            received_at=datetime.fromtimestamp(trap.received_ns / 1e9, UTC),
            source=trap.source,
            agent_address=trap.agent_address,
            device_id=device.id if device else None,
            version=trap.version,
            security_name=trap.security_name,
            inform=trap.inform,
            trap_oid=trap.trap_oid,
            name=name,
            mapped=mapping is not None,
            severity=str(severity),
            category=category,
            message=message,
            labels=labels,
            varbinds=varbind_data,
        )
        return ProcessedTrap(event=event, sample=sample, record=record)
