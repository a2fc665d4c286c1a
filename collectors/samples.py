"""What collectors produce: the contract between collectors, sinks and the alert engine.

A `Sample` is one point of one measurement (one interface, one disk, one CPU) with its tags and
fields; an `Event` is something that happened (an SNMP trap, a configuration change, a failed
backup). Both are plain frozen data so they can be queued, spooled and posted as JSON.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

FieldValue = int | float | str | bool


def now_ns() -> int:
    return time.time_ns()


@dataclass(frozen=True, slots=True)
class Sample:
    """One point: `measurement,tag=... field=... time` in line-protocol terms.

    `counters` names the fields that are monotonically increasing counters (kept raw in the
    time-series store); `rates` holds per-second rates the collector derived from them (wrap and
    reset aware) for the alert engine; rates are not written to the time-series store.
    """

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int = field(default_factory=now_ns)
    device_id: int | None = None
    counters: frozenset[str] = frozenset()
    rates: Mapping[str, float] = field(default_factory=dict)


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on or about a device.

    `kind` is the family (snmp_trap, config_changed, backup_failed, host_key_changed, collector);
    `name` is the specific event (linkDown, fortinet.ips.signature ...).
    """

    kind: str
    name: str
    severity: Severity
    message: str
    source: str  # address or collector that reported it
    device_id: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    time_ns: int = field(default_factory=now_ns)


class SampleConsumer(Protocol):
    """Anything samples flow into: a time-series sink, the alert engine, a remote uplink."""

    async def consume_samples(self, samples: list[Sample]) -> None: ...


class EventConsumer(Protocol):
    async def consume_event(self, event: Event) -> None: ...
