"""Staging of discovered facts, shared by SNMP discovery and the SSH collector.

Collectors describe what they saw (`ObservedDevice`, `ObservedNeighbour`); this module matches it
to inventory devices (serial, then management IP, then name), stages what differs as pending
`DiscoveredFact`s (an identical pending or rejected fact is not staged twice), proposes LLDP/CDP
links as `Dependency` edges, and applies an operator's decision. Accepting writes the inventory
through the ORM in the caller's session, so the change log names the reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inventory.models import (
    Dependency,
    Device,
    DeviceRole,
    DeviceType,
    DiscoveredFact,
    EdgeKind,
    EdgeState,
    FactKind,
    FactSource,
    FactState,
    Manufacturer,
    MatchReason,
    NodeType,
)
from inventory.models.base import utcnow
from inventory.text import nfc_deep

# Fields a collector may report about a device, compared with the inventory.
COMPARED_FIELDS = ("serial", "model", "firmware_version")


class ReviewError(ValueError):
    """A fact cannot be accepted or rejected as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class ObservedDevice:
    source: FactSource
    address: str | None = None
    hostname: str | None = None
    serial: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    vendor: str | None = None
    # Set when the collector polled this inventory device itself (SSH): no matching needed.
    device_id: int | None = None

    def __post_init__(self) -> None:
        _compose_text(self)


@dataclass(frozen=True, slots=True)
class ObservedNeighbour:
    protocol: str  # lldp or cdp
    local_port: str | None
    name: str | None
    address: str | None
    remote_port: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _compose_text(self)


@dataclass(frozen=True, slots=True)
class Observation:
    """What a collector saw of one device (its answers and its LLDP/CDP neighbours), staged as one
    unit: the facts a remote collector sends over the bus (`stage_observation`)."""

    device: ObservedDevice
    neighbours: tuple[ObservedNeighbour, ...] = ()


def _compose_text(observed: Any) -> None:
    """What an agent answered, composed to NFC like every other text that reaches the inventory."""
    for name in observed.__slots__:
        value = getattr(observed, name)
        if isinstance(value, str | dict | list):
            object.__setattr__(observed, name, nfc_deep(value))


def _clean_name(name: str | None) -> str | None:
    # LLDP/CDP names often carry the domain or a serial in brackets: sw-core-01.tinh.gov.vn(FOC123)
    if not name:
        return None
    return name.split("(")[0].strip() or None


def match_device(
    session: Session, *, serial: str | None, address: str | None, name: str | None
) -> tuple[Device | None, MatchReason]:
    if serial:
        found = session.scalar(select(Device).where(Device.serial == serial).limit(1))
        if found:
            return found, MatchReason.serial
    if address:
        found = session.scalar(select(Device).where(Device.management_ip == address).limit(1))
        if found:
            return found, MatchReason.management_ip
    name = _clean_name(name)
    if name:
        short = name.split(".")[0]
        found = session.scalar(
            select(Device)
            .where(or_(func.lower(Device.name) == name.lower(), func.lower(Device.name) == short.lower()))
            .limit(1)
        )
        if found:
            return found, MatchReason.name
    return None, MatchReason.none


def current_value(session: Session, device: Device, field_name: str) -> str | None:
    if field_name == "model":
        if device.device_type_id is None:
            return None
        device_type = session.get(DeviceType, device.device_type_id)
        return device_type.model if device_type else None
    value = getattr(device, field_name)
    return None if value is None else str(value)


def _stage(session: Session, **values: Any) -> DiscoveredFact | None:
    """Adds a pending fact unless an identical pending or rejected one exists (then notes it)."""
    existing = session.scalar(
        select(DiscoveredFact).where(
            DiscoveredFact.source == values["source"],
            DiscoveredFact.kind == values["kind"],
            DiscoveredFact.field == values["field"],
            DiscoveredFact.device_id.is_(None)
            if values.get("device_id") is None
            else DiscoveredFact.device_id == values["device_id"],
            DiscoveredFact.observed_value.is_(None)
            if values.get("observed_value") is None
            else DiscoveredFact.observed_value == values["observed_value"],
            DiscoveredFact.state.in_((FactState.pending, FactState.rejected)),
        )
    )
    now = utcnow()
    if existing is not None:
        existing.last_seen = now
        existing.times_seen += 1
        return None
    fact = DiscoveredFact(state=FactState.pending, first_seen=now, last_seen=now, times_seen=1, **values)
    session.add(fact)
    return fact


def stage_device(session: Session, observed: ObservedDevice) -> list[DiscoveredFact]:
    """Stages what differs between the observation and the inventory; returns the new facts."""
    if observed.device_id is not None:
        device, reason = session.get(Device, observed.device_id), MatchReason.collected
    else:
        device, reason = match_device(
            session, serial=observed.serial, address=observed.address, name=observed.hostname
        )
    staged: list[DiscoveredFact | None] = []
    if device is None:
        staged.append(
            _stage(
                session,
                source=observed.source,
                kind=FactKind.new_device,
                device_id=None,
                match_reason=MatchReason.none,
                address=observed.address,
                field="device",
                observed_value=_clean_name(observed.hostname) or observed.address,
                current_value=None,
                data=_observed_data(observed),
            )
        )
    else:
        for field_name in COMPARED_FIELDS:
            value = getattr(observed, field_name)
            current = current_value(session, device, field_name)
            if not value or value == current:
                continue
            staged.append(
                _stage(
                    session,
                    source=observed.source,
                    kind=FactKind.changed_field,
                    device_id=device.id,
                    match_reason=reason,
                    address=observed.address,
                    field=field_name,
                    observed_value=value,
                    current_value=current,
                    data={"vendor": observed.vendor} if field_name == "model" and observed.vendor else {},
                )
            )
    session.flush()
    return [fact for fact in staged if fact is not None]


def stage_observation(session: Session, observation: Observation) -> list[DiscoveredFact]:
    """Stages a collector's observation of one device; returns the new facts. Keyed like every
    staging here: the same observation staged again adds no fact (the pending one is seen once
    more), so a redelivered message is harmless."""
    observed = observation.device
    staged = stage_device(session, observed)
    if observation.neighbours:
        device_id = observed.device_id
        if device_id is None:
            device, _reason = match_device(
                session, serial=observed.serial, address=observed.address, name=observed.hostname
            )
            device_id = device.id if device is not None else None
        if device_id is not None and session.get(Device, device_id) is not None:
            staged += stage_neighbours(session, observed.source, device_id, observation.neighbours)
    return staged


def _observed_data(observed: ObservedDevice) -> dict[str, Any]:
    return {
        key: value
        for key, value in {
            "name": _clean_name(observed.hostname),
            "serial": observed.serial,
            "model": observed.model,
            "firmware_version": observed.firmware_version,
            "vendor": observed.vendor,
            "management_ip": observed.address,
        }.items()
        if value
    }


def stage_not_seen(session: Session, source: FactSource, device_ids: Iterable[int]) -> list[DiscoveredFact]:
    staged = [
        _stage(
            session,
            source=source,
            kind=FactKind.not_seen,
            device_id=device_id,
            match_reason=MatchReason.collected,
            address=None,
            field="device",
            observed_value=None,
            current_value=None,
            data={},
        )
        for device_id in device_ids
    ]
    session.flush()
    return [fact for fact in staged if fact is not None]


def _edge_between(session: Session, first: int, second: int) -> Dependency | None:
    return session.scalar(
        select(Dependency).where(
            Dependency.kind == EdgeKind.connected_to,
            Dependency.source_type == NodeType.device,
            Dependency.target_type == NodeType.device,
            or_(
                (Dependency.source_id == first) & (Dependency.target_id == second),
                (Dependency.source_id == second) & (Dependency.target_id == first),
            ),
        )
    )


def stage_neighbours(
    session: Session, source: FactSource, device_id: int, neighbours: Iterable[ObservedNeighbour]
) -> list[DiscoveredFact]:
    """A link to a known device becomes a proposed `connected_to` edge and a neighbour fact; an
    unknown neighbour becomes a new_device fact."""
    staged: list[DiscoveredFact | None] = []
    for neighbour in neighbours:
        remote, reason = match_device(session, serial=None, address=neighbour.address, name=neighbour.name)
        link = {
            "protocol": neighbour.protocol,
            "local_port": neighbour.local_port,
            "remote_name": neighbour.name,
            "remote_address": neighbour.address,
            "remote_port": neighbour.remote_port,
        }
        if remote is None:
            staged.append(
                _stage(
                    session,
                    source=source,
                    kind=FactKind.new_device,
                    device_id=None,
                    match_reason=MatchReason.none,
                    address=neighbour.address,
                    field="device",
                    observed_value=_clean_name(neighbour.name) or neighbour.address,
                    current_value=None,
                    data={
                        "name": _clean_name(neighbour.name),
                        "management_ip": neighbour.address,
                        "seen_from_device_id": device_id,
                        **neighbour.data,
                    },
                )
            )
            continue
        if remote.id == device_id:
            continue
        edge = _edge_between(session, device_id, remote.id)
        if edge is None:
            edge = Dependency(
                source_type=NodeType.device,
                source_id=device_id,
                kind=EdgeKind.connected_to,
                target_type=NodeType.device,
                target_id=remote.id,
                state=EdgeState.proposed,
                origin=neighbour.protocol,
                description=f"{neighbour.local_port} <-> {neighbour.remote_port} ({neighbour.protocol})",
            )
            session.add(edge)
            session.flush()
        if edge.state is not EdgeState.proposed:
            continue  # already confirmed or rejected by an operator
        staged.append(
            _stage(
                session,
                source=source,
                kind=FactKind.neighbour,
                device_id=device_id,
                match_reason=reason,
                address=neighbour.address,
                field="link",
                observed_value=f"{neighbour.local_port} -> {remote.name} {neighbour.remote_port}",
                current_value=None,
                data={**link, "remote_device_id": remote.id},
                dependency_id=edge.id,
            )
        )
    session.flush()
    return [fact for fact in staged if fact is not None]


def accept(session: Session, fact: DiscoveredFact, reviewer: str, note: str | None = None) -> None:
    """Applies the fact to the inventory in `session` (whose actor should be the reviewer)."""
    if fact.state is not FactState.pending:
        raise ReviewError(f"fact {fact.id} is already {fact.state.value}")
    if fact.kind is FactKind.changed_field:
        device = _device_of(session, fact)
        if fact.field == "model":
            device.device_type_id = _device_type_for(session, fact.observed_value or "", fact.data).id
        elif fact.field in ("serial", "firmware_version"):
            setattr(device, fact.field, fact.observed_value)
        else:
            raise ReviewError(f"fact {fact.id}: field {fact.field!r} cannot be written to a device")
    elif fact.kind is FactKind.new_device:
        _create_device(session, fact)
    elif fact.kind is FactKind.neighbour:
        edge = session.get(Dependency, fact.dependency_id) if fact.dependency_id else None
        if edge is None:
            raise ReviewError(f"fact {fact.id}: its proposed link no longer exists")
        edge.state = EdgeState.confirmed
    # not_seen: accepting acknowledges it; what to do with the device stays the operator's call.
    _close(fact, FactState.accepted, reviewer, note)
    session.flush()


def reject(session: Session, fact: DiscoveredFact, reviewer: str, note: str | None = None) -> None:
    if fact.state is not FactState.pending:
        raise ReviewError(f"fact {fact.id} is already {fact.state.value}")
    if fact.kind is FactKind.neighbour and fact.dependency_id:
        edge = session.get(Dependency, fact.dependency_id)
        if edge is not None and edge.state is EdgeState.proposed:
            edge.state = EdgeState.rejected
    _close(fact, FactState.rejected, reviewer, note)
    session.flush()


def _close(fact: DiscoveredFact, state: FactState, reviewer: str, note: str | None) -> None:
    fact.state = state
    fact.reviewer = reviewer
    fact.reviewed_at = utcnow()
    fact.review_note = note


def _device_of(session: Session, fact: DiscoveredFact) -> Device:
    device = session.get(Device, fact.device_id) if fact.device_id else None
    if device is None:
        raise ReviewError(f"fact {fact.id}: its device no longer exists")
    return device


def _device_type_for(session: Session, model: str, data: dict[str, Any]) -> DeviceType:
    found = session.scalar(select(DeviceType).where(DeviceType.model == model).limit(1))
    if found is not None:
        return found
    vendor = str(data.get("vendor") or "Unknown")
    manufacturer = session.scalar(select(Manufacturer).where(Manufacturer.name == vendor))
    if manufacturer is None:
        manufacturer = Manufacturer(name=vendor)
        session.add(manufacturer)
        session.flush()
    device_type = DeviceType(manufacturer_id=manufacturer.id, model=model)
    session.add(device_type)
    session.flush()
    return device_type


def _create_device(session: Session, fact: DiscoveredFact) -> Device:
    data = fact.data or {}
    name = str(data.get("name") or fact.observed_value or "")
    if not name:
        raise ReviewError(f"fact {fact.id}: the new device has no name to create it with")
    if session.scalar(select(Device).where(Device.name == name)) is not None:
        raise ReviewError(f"fact {fact.id}: a device named {name!r} already exists")
    role = str(data.get("role") or "other")
    device = Device(
        name=name,
        role=DeviceRole(role) if role in DeviceRole.__members__ else DeviceRole.other,
        management_ip=data.get("management_ip") or fact.address,
        serial=data.get("serial"),
        firmware_version=data.get("firmware_version"),
    )
    session.add(device)
    session.flush()
    fact.device_id = device.id
    return device
