"""Evaluation: which rules a sample, an event or the passing of time meets, and the state
transitions that result (rules/ decides conditions, state.py the lifecycle). In memory only."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from collectors.samples import Event, Sample
from eams.alerts.directory import DeviceDirectory, DeviceInfo
from eams.alerts.inventory_checks import INVENTORY_CHECKS
from eams.alerts.rules.compiled import CompiledRule
from eams.alerts.rules.groups import ThresholdGroup
from eams.alerts.rules.index import RuleIndex
from eams.alerts.state import Change, FlapPolicy, Instance, Status, fingerprint, retire, settle, step

log = logging.getLogger(__name__)

InstanceKey = tuple[str, int | None, tuple[str, ...]]


class RuleEvaluator:
    """Holds the rule index and every instance; turns observations into (instance, change)."""

    def __init__(self, directory: DeviceDirectory, flap: FlapPolicy, inventory_check_seconds: float) -> None:
        self.directory = directory
        self.flap = flap
        self.inventory_check_seconds = inventory_check_seconds
        self.index = RuleIndex([])
        self.instances: dict[InstanceKey, Instance] = {}
        self.started_at: datetime | None = None
        self.inventory_at: datetime | None = None
        self.samples_seen = 0
        self.evaluations = 0
        # Several instances: only the devices of the partitions this one leads (absence and
        # inventory checks walk the whole directory). None: every device.
        self.owns: Callable[[int], bool] | None = None

    def install_rules(self, compiled: list[CompiledRule]) -> None:
        by_name = {rule.name: rule for rule in compiled}
        for key, instance in list(self.instances.items()):
            replacement = by_name.get(key[0])
            if replacement is None or not replacement.spec.enabled:
                if not instance.active:
                    del self.instances[key]
                continue
            instance.rule = replacement
        usable = []
        for rule in compiled:
            if rule.kind == "inventory" and rule.spec.check not in INVENTORY_CHECKS:
                log.error("alert rule %s names unknown inventory check %s", rule.name, rule.spec.check)
                continue
            usable.append(rule)
        self.index = RuleIndex(usable)
        for instance in self.instances.values():
            if instance.active:
                self.track(instance)

    def evaluate(
        self, samples: list[Sample], now: datetime, arrived: int = 0
    ) -> list[tuple[Instance, Change]]:
        changes: list[tuple[Instance, Change]] = []
        index = self.index
        measurements = index.measurements
        directory = self.directory
        evaluations = 0
        for sample in samples:
            if sample.measurement not in measurements:
                continue
            device = directory.get(sample.device_id)
            for evaluator in index.for_sample(sample.measurement, device):
                if isinstance(evaluator, ThresholdGroup):
                    evaluations += self._evaluate_group(evaluator, sample, device, now, arrived, changes)
                else:
                    evaluations += 1
                    self._evaluate_rule(evaluator, sample, device, now, arrived, changes)
        self.samples_seen += len(samples)
        self.evaluations += evaluations
        return changes

    def _evaluate_group(
        self,
        group: ThresholdGroup,
        sample: Sample,
        device: DeviceInfo,
        now: datetime,
        arrived: int,
        changes: list[tuple[Instance, Change]],
    ) -> int:
        value = group.proto.sample_value(sample)
        if value is None:
            return 1
        device_id = sample.device_id
        entity = group.proto.entity_of(sample.tags) if group.entity else ()
        breached = group.breached(value)
        active = group.active.get((device_id, entity))
        if not breached and not active:
            return 1
        flap = self.flap
        for rule in breached:
            if rule.needs_scope_check and not rule.in_scope(device):
                continue
            instance = self.instance(rule, device_id, entity)
            instance.value = value
            was_active = instance.active
            change = step(instance, True, now, flap)
            if not was_active:
                self.track(instance)
            if change is not None:
                instance.origin_ns = arrived
                changes.append((instance, change))
        for instance in list(active.values()) if active else ():
            rule = instance.rule
            if rule.compare(value, rule.threshold):
                continue  # breached: handled above
            instance.value = value
            change = step(instance, rule.breached(value, instance.active), now, flap)
            if not instance.active:
                self.track(instance)
            if change is not None:
                instance.origin_ns = arrived
                changes.append((instance, change))
        return 1 + len(breached) + (len(active) if active else 0)

    def track(self, instance: Instance) -> None:
        """Keep the groups' lists of active instances right (see rules/groups.py)."""
        groups = self.index.groups_of.get(instance.rule.name)
        if not groups:
            return
        series = (instance.device_id, instance.entity)
        for group in groups:
            if instance.active:
                group.active.setdefault(series, {})[instance.rule.name] = instance
            else:
                members = group.active.get(series)
                if members is not None:
                    members.pop(instance.rule.name, None)
                    if not members:
                        del group.active[series]

    def _evaluate_rule(
        self,
        rule: CompiledRule,
        sample: Sample,
        device: DeviceInfo,
        now: datetime,
        arrived: int,
        changes: list[tuple[Instance, Change]],
    ) -> None:
        if rule.needs_scope_check and not rule.in_scope(device):
            return
        kind = rule.kind
        device_id = sample.device_id
        entity = rule.entity_of(sample.tags) if rule.entity else ()
        instance = self.instances.get((rule.name, device_id, entity))
        if kind == "threshold":  # comparisons that cannot be grouped (== and !=)
            value = rule.sample_value(sample)
            if value is None:
                return
            condition = rule.breached(value, instance is not None and instance.active)
            if instance is None:
                if not condition:
                    return
                instance = self.instance(rule, device_id, entity)
            instance.value = value
        elif kind == "unreachable":
            raw = sample.fields.get(rule.field)
            if raw is None:
                return
            if instance is None:
                if _truthy(raw):
                    return
                instance = self.instance(rule, device_id, entity)
            instance.counter = 0 if _truthy(raw) else instance.counter + 1
            condition = instance.counter >= rule.spec.failures
            instance.value = float(instance.counter)
        elif kind == "oper_down":
            raw = sample.fields.get(rule.field)
            if raw is None:
                return
            if rule.spec.important_only and (entity[0] if entity else "") not in device.important_interfaces:
                return
            # 2, 2.0 and "2" are the same status whatever type the collector wrote.
            text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
            condition = text in rule.down_values
            if instance is None:
                if not condition:
                    return
                instance = self.instance(rule, device_id, entity)
        else:  # stale: a sample is a sign of life
            if instance is None:
                instance = self.instance(rule, device_id, entity)
            instance.last_seen = now
            condition = False
        change = step(instance, condition, now, self.flap)
        if change is not None:
            instance.origin_ns = arrived
            changes.append((instance, change))

    def instance(self, rule: CompiledRule, device_id: int | None, entity: tuple[str, ...]) -> Instance:
        key = (rule.name, device_id, entity)
        instance = self.instances.get(key)
        if instance is None:
            instance = Instance(rule, device_id, entity, fingerprint(rule.name, device_id, entity))
            self.instances[key] = instance
        return instance

    def evaluate_periodic(self, now: datetime) -> list[tuple[Instance, Change]]:
        flap = self.flap
        changes: list[tuple[Instance, Change]] = []

        def record(instance: Instance, condition: bool) -> None:
            change = step(instance, condition, now, flap)
            if change is not None:
                instance.origin_ns = time.perf_counter_ns()
                changes.append((instance, change))

        run_inventory = self.inventory_at is None or now - self.inventory_at >= timedelta(
            seconds=self.inventory_check_seconds
        )
        unreachable = self._unreachable_devices()
        for rule in self.index.tick_rules:
            spec = rule.spec
            if rule.kind == "stale":
                limit = timedelta(seconds=spec.intervals * spec.interval)
                for instance in self._instances_of(rule):
                    if instance.last_seen is None:
                        continue
                    # The poller backs off an unreachable device, so its samples stop: that is
                    # the same problem its unreachable alert already reports, not a second one.
                    silent = now - instance.last_seen > limit
                    record(instance, silent and instance.device_id not in unreachable)
            elif rule.kind == "event" and spec.resolve_after is not None:
                limit = timedelta(seconds=spec.resolve_after)
                for instance in self._instances_of(rule):
                    if (
                        instance.active
                        and instance.last_seen is not None
                        and now - instance.last_seen >= limit
                    ):
                        record(instance, False)
            elif rule.kind == "absence":
                limit = timedelta(seconds=spec.within or 0)
                for device in self._devices_in_scope(rule):
                    instance = self.instance(rule, device.id, ())
                    if instance.last_seen is None:  # never seen: the window starts with the engine
                        instance.last_seen = self.started_at or now
                    record(instance, now - instance.last_seen >= limit)
            elif rule.kind == "inventory" and run_inventory:
                check = INVENTORY_CHECKS[spec.check or ""]
                for device in self._devices_in_scope(rule):
                    holds, detail = check(device, now.date(), spec.days)
                    if not holds and (rule.name, device.id, ()) not in self.instances:
                        continue
                    instance = self.instance(rule, device.id, ())
                    instance.detail = detail
                    record(instance, holds)
        if run_inventory:
            self.inventory_at = now
        for instance in list(self.instances.values()):
            if instance.flapping:
                change = settle(instance, now, flap)
                if change is not None:
                    changes.append((instance, change))
        return changes

    def forget(self, moved: Callable[[Instance], bool]) -> list[Instance]:
        """Drop the instances another service instance owns now, without resolving them: their
        alerts keep firing in the database, and the new owner restores them from there."""
        dropped: list[Instance] = []
        for key, instance in list(self.instances.items()):
            if not moved(instance):
                continue
            del self.instances[key]
            if instance.active:
                instance.status = Status.inactive
                self.track(instance)  # out of the threshold groups' lists of active instances
            dropped.append(instance)
        return dropped

    def forget_missing_devices(self, now: datetime) -> list[tuple[Instance, Change]]:
        """After a directory refresh: instances of devices no longer in the inventory resolve (if
        they fire) and are dropped, so nothing keeps a deleted device's alert firing forever."""
        changes: list[tuple[Instance, Change]] = []
        known = self.directory.devices
        for key, instance in list(self.instances.items()):
            if instance.device_id is None or instance.device_id in known:
                continue
            del self.instances[key]
            if not instance.active:
                continue
            firing = instance.status is Status.firing
            retire(instance, now)
            self.track(instance)
            if firing:
                changes.append((instance, Change.resolved))
        return changes

    def _unreachable_devices(self) -> set[int | None]:
        return {
            instance.device_id
            for instance in self.instances.values()
            if instance.rule.kind == "unreachable" and instance.status is Status.firing
        }

    def _instances_of(self, rule: CompiledRule) -> list[Instance]:
        return [i for key, i in self.instances.items() if key[0] == rule.name]

    def _devices_in_scope(self, rule: CompiledRule) -> list[DeviceInfo]:
        owns = self.owns
        if owns is None:
            return [d for d in self.directory.devices.values() if rule.in_scope(d)]
        return [d for d in self.directory.devices.values() if owns(d.id) and rule.in_scope(d)]

    def evaluate_event(
        self, event: Event, device: DeviceInfo, now: datetime, arrived: int
    ) -> list[tuple[Instance, Change]]:
        changes: list[tuple[Instance, Change]] = []
        for rule, resolves in self.index.for_event(event, device):
            entity = rule.entity_of(event.labels) if rule.entity else ()
            if not device.id:  # a sender outside the inventory: one alert per sender, not one for all
                entity = (*entity, device.name)
            instance = self.instance(rule, device.id or None, entity)
            instance.last_seen = now
            if not resolves and not instance.active and not _burst(instance, rule, now):
                continue  # fewer than `count` events within `within`: not yet a burst
            if not resolves:
                instance.detail = event.message
                instance.value = None
            change = step(instance, not resolves, now, self.flap)
            if change is not None:
                instance.origin_ns = arrived
                changes.append((instance, change))
        return changes


def _burst(instance: Instance, rule: CompiledRule, now: datetime) -> bool:
    """Whether this event makes `count` within `within` (always, for a rule with count 1)."""
    spec = rule.spec
    if spec.count <= 1:
        return True
    hits: deque[datetime] = instance.extra.setdefault("burst", deque())
    hits.append(now)
    window = timedelta(seconds=spec.within or 0)
    while hits and now - hits[0] > window:
        hits.popleft()
    if len(hits) < spec.count:
        return False
    hits.clear()
    return True


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "up", "ok")
    return bool(value)
