"""JSON shapes shared by `eams collect` and the service: poll targets, samples, events and facts.

Both sides use these functions, so the shapes cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from collectors.samples import Event, FieldValue, Sample, Severity
from collectors.snmp.engine import Credentials, Endpoint, SnmpVersion
from collectors.snmp.poller import PollTarget
from inventory.discovery import Observation, ObservedDevice, ObservedNeighbour
from inventory.models import FactSource

OBSERVED_FIELDS = ("address", "hostname", "serial", "model", "firmware_version", "vendor", "device_id")
NEIGHBOUR_FIELDS = ("protocol", "local_port", "name", "address", "remote_port")


def target_to_json(target: PollTarget) -> dict[str, Any]:
    credentials = asdict(target.credentials)
    credentials["version"] = target.credentials.version.value
    return {
        "name": target.name,
        "device_id": target.device_id,
        "endpoint": asdict(target.endpoint),
        "credentials": credentials,
        "tags": dict(target.tags),
        "profile": target.profile,
        "interval_s": target.interval_s,
    }


def target_from_json(data: dict[str, Any]) -> PollTarget:
    credentials = dict(data["credentials"])
    credentials["version"] = SnmpVersion(credentials["version"])
    return PollTarget(
        name=str(data["name"]),
        endpoint=Endpoint(**data["endpoint"]),
        credentials=Credentials(**credentials),
        device_id=data.get("device_id"),
        tags={str(k): str(v) for k, v in data.get("tags", {}).items()},
        profile=str(data.get("profile", "auto")),
        interval_s=float(data.get("interval_s", 60.0)),
    )


def sample_to_json(sample: Sample) -> dict[str, Any]:
    return {
        "measurement": sample.measurement,
        "tags": dict(sample.tags),
        "fields": dict(sample.fields),
        "time_ns": sample.time_ns,
        "device_id": sample.device_id,
        "counters": sorted(sample.counters),
        "rates": dict(sample.rates),
    }


def sample_from_json(data: dict[str, Any]) -> Sample:
    fields: dict[str, FieldValue] = dict(data["fields"])
    return Sample(
        measurement=data["measurement"],
        tags=dict(data.get("tags", {})),
        fields=fields,
        time_ns=int(data["time_ns"]),
        device_id=data.get("device_id"),
        counters=frozenset(data.get("counters", ())),
        rates={k: float(v) for k, v in data.get("rates", {}).items()},
    )


def event_to_json(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "name": event.name,
        "severity": event.severity.value,
        "message": event.message,
        "source": event.source,
        "device_id": event.device_id,
        "labels": dict(event.labels),
        "data": dict(event.data),
        "time_ns": event.time_ns,
    }


def event_from_json(data: dict[str, Any]) -> Event:
    return Event(
        kind=data["kind"],
        name=data["name"],
        severity=Severity(data.get("severity", "warning")),
        message=data.get("message", ""),
        source=data.get("source", ""),
        device_id=data.get("device_id"),
        labels=dict(data.get("labels", {})),
        data=dict(data.get("data", {})),
        time_ns=int(data["time_ns"]),
    )


def observation_to_json(observation: Observation) -> dict[str, Any]:
    device = observation.device
    return {
        "source": device.source.value,
        **{name: getattr(device, name) for name in OBSERVED_FIELDS},
        "neighbours": [
            {**{name: getattr(n, name) for name in NEIGHBOUR_FIELDS}, "data": dict(n.data)}
            for n in observation.neighbours
        ],
    }


def observation_from_json(data: dict[str, Any]) -> Observation:
    """A ValueError, TypeError or KeyError for what is not an observation."""

    def text(value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"expected a text or null, got {type(value).__name__}")
        return value

    device_id = data.get("device_id")
    if device_id is not None and (not isinstance(device_id, int) or isinstance(device_id, bool)):
        raise TypeError("device_id must be an integer or null")
    device = ObservedDevice(
        source=FactSource(data["source"]),
        device_id=device_id,
        **{name: text(data.get(name)) for name in OBSERVED_FIELDS if name != "device_id"},
    )
    neighbours = tuple(
        ObservedNeighbour(
            protocol=str(n["protocol"]),
            local_port=text(n.get("local_port")),
            name=text(n.get("name")),
            address=text(n.get("address")),
            remote_port=text(n.get("remote_port")),
            data=dict(n.get("data") or {}),
        )
        for n in data.get("neighbours", [])
    )
    return Observation(device, neighbours)
