"""Alert instances and their lifecycle: inactive -> pending -> firing -> resolved, with flapping.

One `Instance` per (rule, device, entity), named by a stable fingerprint. This module only
decides transitions; the engine records them and hands them to dispatch.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from eams.alerts.rules.compiled import CompiledRule


class Status(StrEnum):
    inactive = "inactive"
    pending = "pending"
    firing = "firing"


class Change(StrEnum):
    firing = "firing"
    resolved = "resolved"
    flapping = "flapping"


def fingerprint(rule_name: str, device_id: int | None, entity: tuple[str, ...]) -> str:
    """Stable across restarts and processes: the same rule on the same port is the same alert."""
    raw = "\x00".join([rule_name, str(device_id or 0), *entity])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class FlapPolicy:
    """Too many firing/resolved transitions within `window` seconds mark the alert flapping; it then
    stays firing until its condition has been steady for a whole window."""

    transitions: int = 4
    window: float = 600.0


@dataclass(eq=False)
class Instance:
    rule: CompiledRule
    device_id: int | None
    entity: tuple[str, ...]
    fingerprint: str
    status: Status = Status.inactive
    pending_since: datetime | None = None
    firing_since: datetime | None = None
    value: float | None = None
    detail: str = ""
    counter: int = 0  # consecutive failed polls (unreachable rules)
    last_seen: datetime | None = None  # stale, absence and event rules
    condition: bool = False
    condition_since: datetime | None = None
    flips: deque[datetime] = field(default_factory=lambda: deque(maxlen=32))
    flapping: bool = False
    alert_id: int | None = None
    acked: bool = False
    silenced: bool = False
    suppressed_by: str | None = None
    escalation_level: int = 0
    origin_ns: int = 0  # perf_counter_ns of the sample that last changed it (latency figures)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def entity_text(self) -> str:
        return ", ".join(
            f"{name}={value}" for name, value in zip(self.rule.entity, self.entity, strict=False)
        )

    @property
    def active(self) -> bool:
        return self.status is not Status.inactive


def step(instance: Instance, condition: bool, now: datetime, flap: FlapPolicy) -> Change | None:
    """Advance one instance by one observation of its condition; return what changed, if anything."""
    if condition != instance.condition:
        instance.condition = condition
        instance.condition_since = now
    status = instance.status
    if condition:
        if status is Status.inactive:
            instance.pending_since = now
            instance.status = status = Status.pending
        waited = (now - (instance.pending_since or now)).total_seconds()
        if status is Status.pending and waited >= instance.rule.for_seconds:
            instance.status = Status.firing
            instance.firing_since = now
            return _flip(instance, now, flap, Change.firing)
        return None
    if status is Status.pending:
        instance.status = Status.inactive
        instance.pending_since = None
        return None
    if status is Status.firing:
        if instance.flapping:
            return None  # held firing; settle() resolves it once the condition stays clear
        change = _flip(instance, now, flap, Change.resolved)
        if change is Change.resolved:
            _reset(instance)
        return change
    return None


def settle(instance: Instance, now: datetime, flap: FlapPolicy) -> Change | None:
    """Called on ticks: a flapping alert whose condition stayed clear for a window resolves; one whose
    condition stayed true for a window stops flapping."""
    if not instance.flapping or instance.condition_since is None:
        return None
    if (now - instance.condition_since).total_seconds() < flap.window:
        return None
    instance.flapping = False
    instance.flips.clear()
    if instance.condition:
        return None
    _reset(instance)
    return Change.resolved


def retire(instance: Instance, now: datetime) -> None:
    """The instance's subject is gone (its device left the inventory): back to inactive at once,
    without the flapping hold, since no observation will ever clear it."""
    instance.condition = False
    instance.condition_since = now
    instance.flapping = False
    instance.flips.clear()
    _reset(instance)


def _flip(instance: Instance, now: datetime, flap: FlapPolicy, change: Change) -> Change:
    instance.flips.append(now)
    while instance.flips and (now - instance.flips[0]).total_seconds() > flap.window:
        instance.flips.popleft()
    if len(instance.flips) >= flap.transitions and not instance.flapping:
        instance.flapping = True
        if change is Change.resolved:
            return Change.flapping  # stays firing, now marked flapping
        return Change.flapping if instance.alert_id is not None else change
    return change


def _reset(instance: Instance) -> None:
    instance.status = Status.inactive
    instance.pending_since = None
    instance.counter = 0
