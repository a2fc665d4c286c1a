"""The alert engine: samples and events in, recorded alerts and queued notifications out.

Stages, in order (each its own module):
  rules/      which rules a sample or event meets (index by measurement and scope) and whether
              their condition holds (thresholds with hysteresis, rates, reachability, events ...)
  state       the instance per (rule, device, entity): pending -> firing -> resolved, flapping
  store       every occurrence and transition recorded in the database
  silences    silences and maintenance windows mute notifications (recording continues)
  suppression alerts behind a down upstream device are suppressed; the root cause is notified
  dispatch/   routing tree, grouping with group wait/interval/repeat, escalation
  outbox      notifications stored durably, then delivered by notify/ channels with retries

Everything evaluates in memory as samples arrive; the database is written only when something
changes (an alert fires, resolves, flaps, is acknowledged, or a notification is queued).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from collectors.samples import Event, Sample
from eams.alerts.clock import Clock, SystemClock, aware
from eams.alerts.directory import DeviceDirectory, DeviceInfo
from eams.alerts.dispatch.config import RoutingConfig
from eams.alerts.dispatch.dispatcher import Dispatcher
from eams.alerts.dispatch.groups import AlertSnapshot, Escalated, OutboxItem
from eams.alerts.inventory_checks import INVENTORY_CHECKS
from eams.alerts.messages import texts
from eams.alerts.models import Alert, AlertRouting, AlertRule, Silence
from eams.alerts.notify.base import Channel
from eams.alerts.outbox import Backoff, OutboxDeliverer, enqueue
from eams.alerts.rules.compiled import CompiledRule
from eams.alerts.rules.groups import ThresholdGroup
from eams.alerts.rules.index import RuleIndex
from eams.alerts.rules.loader import DEFAULT_RULES, load_rule_files
from eams.alerts.rules.spec import RuleSpec
from eams.alerts.silences import SilenceBook
from eams.alerts.state import Change, FlapPolicy, Instance, Status, fingerprint, settle, step
from eams.alerts.store import active_alerts, note
from eams.alerts.suppression import DependencySuppressor
from eams.security import SecretBox
from inventory.db import Database

log = logging.getLogger(__name__)

InstanceKey = tuple[str, int | None, tuple[str, ...]]


@dataclass
class EngineOptions:
    rule_paths: tuple[Path, ...] = (DEFAULT_RULES,)
    tick_seconds: float = 1.0
    directory_refresh_seconds: float = 300.0
    inventory_check_seconds: float = 3600.0
    flap: FlapPolicy = field(default_factory=FlapPolicy)
    backoff: Backoff = field(default_factory=Backoff)
    track_latency: bool = False  # keep sample-arrival times per notification (benchmarks)


class AlertEngine:
    """A SampleConsumer and EventConsumer; also the component that runs the background loop."""

    name = "alert engine"

    def __init__(
        self,
        db: Database,
        secret_box: SecretBox,
        *,
        clock: Clock | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        self.db = db
        self.secret_box = secret_box
        self.clock = clock or SystemClock()
        self.options = options or EngineOptions()
        self.directory = DeviceDirectory(db)
        self.silences = SilenceBook()
        self.suppressor = DependencySuppressor(self.directory.get)
        self.index = RuleIndex([])
        self.instances: dict[InstanceKey, Instance] = {}
        self.snapshots: dict[str, AlertSnapshot] = {}
        self.routing = RoutingConfig()
        self.dispatcher = Dispatcher(self.routing)
        self.channels: dict[str, Channel] = {}
        self.outbox = OutboxDeliverer(db, self.clock, lambda: self.channels, self.options.backoff)
        self.origin_by_key: dict[str, int] = {}
        self.samples_seen = 0
        self.evaluations = 0
        self._versions: dict[str, Any] = {}
        self._started_at = self.clock.now()
        self._directory_at: datetime | None = None
        self._inventory_at: datetime | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._retired_channels: list[Channel] = []
        self._unrecorded: list[tuple[Instance, Change]] = []

    # ------------------------------------------------------------------------------------------
    # Start, stop, reload

    def open(self) -> None:
        """Load rules, routing, silences, inventory and the alerts still firing (after a restart)."""
        self._started_at = self.clock.now()
        self.seed_rules()
        self.reload(force=True)
        self.directory.refresh()
        self._directory_at = self.clock.now()
        self._restore()

    async def start(self) -> None:
        self.open()
        self._tasks = [
            asyncio.create_task(self._tick_loop(), name="alerts-tick"),
            asyncio.create_task(self._delivery_loop(), name="alerts-delivery"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._close_channels()

    async def _close_channels(self) -> None:
        for channel in [*self._retired_channels, *self.channels.values()]:
            with contextlib.suppress(Exception):
                await channel.close()
        self._retired_channels.clear()

    def seed_rules(self) -> None:
        """Shipped and configured YAML rules enter the database once; after that the database (and
        the API) is the truth, so an operator's edit is not undone by a restart."""
        specs = load_rule_files(list(self.options.rule_paths))
        with self.db.session() as session:
            known = set(session.scalars(select(AlertRule.name)))
            for spec in specs:
                if spec.name not in known:
                    session.add(rule_row(spec, origin="file"))

    def reload(self, *, force: bool = False) -> None:
        """Re-read rules, silences and routing when their tables changed (any process may edit)."""
        with self.db.session() as session:
            versions = {
                "rules": tuple(session.execute(select(func.count(), func.max(AlertRule.updated_at))).one()),
                "silences": tuple(session.execute(select(func.count(), func.max(Silence.updated_at))).one()),
                "routing": tuple(
                    session.execute(select(func.count(), func.max(AlertRouting.updated_at))).one()
                ),
            }
            if force or versions["rules"] != self._versions.get("rules"):
                compiled: list[CompiledRule] = []
                for row in session.scalars(select(AlertRule).order_by(AlertRule.id)):
                    try:
                        compiled.append(CompiledRule(RuleSpec.model_validate(row.spec), rule_id=row.id))
                    except ValueError as exc:
                        log.error("alert rule %s is invalid and skipped: %s", row.name, exc)
                self._install_rules(compiled)
            if force or versions["silences"] != self._versions.get("silences"):
                self.silences.load(list(session.scalars(select(Silence))))
            if force or versions["routing"] != self._versions.get("routing"):
                row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
                self._install_routing(load_routing(row, self.secret_box))
        self._versions = versions

    def _install_rules(self, compiled: list[CompiledRule]) -> None:
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
                self._track(instance)

    def _install_routing(self, config: RoutingConfig) -> None:
        # Old channels may be mid-delivery; they are closed when the engine stops.
        self._retired_channels.extend(self.channels.values())
        self.routing = config
        self.channels = {receiver.name: receiver.channel() for receiver in config.receivers}
        self.dispatcher.reconfigure(config, self.clock.now())

    def _restore(self) -> None:
        with self.db.session() as session:
            rows = active_alerts(session)
        rules = {rule.name: rule for rule in self.index.rules}
        now = self.clock.now()
        for row in rows:
            rule = rules.get(row.rule_name)
            if rule is None:
                continue
            entity = tuple(str(row.labels.get(name, "")) for name in rule.entity)
            instance = self._instance(rule, row.device_id, entity)
            instance.status = Status.firing
            instance.condition = True
            instance.condition_since = now
            instance.firing_since = aware(row.firing_at or row.started_at)
            instance.pending_since = aware(row.started_at)
            instance.last_seen = now
            instance.value = row.value
            instance.alert_id = row.id
            instance.acked = row.acked_by is not None
            instance.silenced = row.silenced
            instance.suppressed_by = row.suppressed_by
            instance.flapping = row.flapping
            instance.escalation_level = row.escalation_level
            if rule.kind == "unreachable":
                instance.counter = rule.spec.failures
                self.suppressor.mark_down(row.device_id, True)
            self._track(instance)
            snapshot = self._snapshot_from_row(row, instance)
            self.snapshots[instance.fingerprint] = snapshot
            self.dispatcher.update(snapshot, now, changed=False)
        # What was firing before the restart was notified then: repeats continue from now.
        self.dispatcher.reconfigure(self.routing, now)

    # ------------------------------------------------------------------------------------------
    # Consuming samples and events (the hot path)

    async def consume_samples(self, samples: list[Sample]) -> None:
        arrived = time.perf_counter_ns()
        now = self.clock.now()
        changes = self.evaluate(samples, now, arrived)
        if changes or self._unrecorded:
            self._apply(changes, now)

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
        flap = self.options.flap
        for rule in breached:
            if rule.needs_scope_check and not rule.in_scope(device):
                continue
            instance = self._instance(rule, device_id, entity)
            instance.value = value
            was_active = instance.active
            change = step(instance, True, now, flap)
            if not was_active:
                self._track(instance)
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
                self._track(instance)
            if change is not None:
                instance.origin_ns = arrived
                changes.append((instance, change))
        return 1 + len(breached) + (len(active) if active else 0)

    def _track(self, instance: Instance) -> None:
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
                instance = self._instance(rule, device_id, entity)
            instance.value = value
        elif kind == "unreachable":
            raw = sample.fields.get(rule.field)
            if raw is None:
                return
            if instance is None:
                if _truthy(raw):
                    return
                instance = self._instance(rule, device_id, entity)
            instance.counter = 0 if _truthy(raw) else instance.counter + 1
            condition = instance.counter >= rule.spec.failures
            instance.value = float(instance.counter)
        elif kind == "oper_down":
            raw = sample.fields.get(rule.field)
            if raw is None:
                return
            if rule.spec.important_only and (entity[0] if entity else "") not in device.important_interfaces:
                return
            condition = str(raw) in rule.down_values
            if instance is None:
                if not condition:
                    return
                instance = self._instance(rule, device_id, entity)
        else:  # stale: a sample is a sign of life
            if instance is None:
                instance = self._instance(rule, device_id, entity)
            instance.last_seen = now
            condition = False
        change = step(instance, condition, now, self.options.flap)
        if change is not None:
            instance.origin_ns = arrived
            changes.append((instance, change))

    async def consume_event(self, event: Event) -> None:
        now = self.clock.now()
        arrived = time.perf_counter_ns()
        device = self.directory.resolve(event.device_id, event.source)
        changes: list[tuple[Instance, Change]] = []
        for rule, resolves in self.index.for_event(event, device):
            entity = rule.entity_of(event.labels) if rule.entity else ()
            device_id = device.id or None
            instance = self._instance(rule, device_id, entity)
            instance.last_seen = now
            if not resolves:
                instance.detail = event.message
                instance.value = None
            change = step(instance, not resolves, now, self.options.flap)
            if change is not None:
                instance.origin_ns = arrived
                changes.append((instance, change))
        if changes:
            self._apply(changes, now)

    def _instance(self, rule: CompiledRule, device_id: int | None, entity: tuple[str, ...]) -> Instance:
        key = (rule.name, device_id, entity)
        instance = self.instances.get(key)
        if instance is None:
            instance = Instance(rule, device_id, entity, fingerprint(rule.name, device_id, entity))
            self.instances[key] = instance
        return instance

    # ------------------------------------------------------------------------------------------
    # Periodic work: stale, absence, inventory, event expiry, flapping, silences in time

    async def tick(self) -> None:
        now = self.clock.now()
        self.reload()
        if self._directory_at is None or now - self._directory_at >= timedelta(
            seconds=self.options.directory_refresh_seconds
        ):
            self.directory.refresh()
            self._directory_at = now
        elif self.directory.refresh_if_changed():
            self._directory_at = now
        changes = self.evaluate_periodic(now)
        self._apply(changes, now, refresh_all=True)

    def evaluate_periodic(self, now: datetime) -> list[tuple[Instance, Change]]:
        flap = self.options.flap
        changes: list[tuple[Instance, Change]] = []

        def record(instance: Instance, condition: bool) -> None:
            change = step(instance, condition, now, flap)
            if change is not None:
                instance.origin_ns = time.perf_counter_ns()
                changes.append((instance, change))

        run_inventory = self._inventory_at is None or now - self._inventory_at >= timedelta(
            seconds=self.options.inventory_check_seconds
        )
        for rule in self.index.tick_rules:
            spec = rule.spec
            if rule.kind == "stale":
                limit = timedelta(seconds=spec.intervals * spec.interval)
                for instance in self._instances_of(rule):
                    if instance.last_seen is not None:
                        record(instance, now - instance.last_seen > limit)
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
                    instance = self._instance(rule, device.id, ())
                    if instance.last_seen is None:
                        instance.last_seen = self._started_at
                    record(instance, now - instance.last_seen >= limit)
            elif rule.kind == "inventory" and run_inventory:
                check = INVENTORY_CHECKS[spec.check or ""]
                for device in self._devices_in_scope(rule):
                    holds, detail = check(device, now.date(), spec.days)
                    if not holds and (rule.name, device.id, ()) not in self.instances:
                        continue
                    instance = self._instance(rule, device.id, ())
                    instance.detail = detail
                    record(instance, holds)
        if run_inventory:
            self._inventory_at = now
        for instance in list(self.instances.values()):
            if instance.flapping:
                change = settle(instance, now, flap)
                if change is not None:
                    changes.append((instance, change))
        return changes

    def _instances_of(self, rule: CompiledRule) -> list[Instance]:
        return [i for key, i in self.instances.items() if key[0] == rule.name]

    def _devices_in_scope(self, rule: CompiledRule) -> list[DeviceInfo]:
        return [d for d in self.directory.devices.values() if rule.in_scope(d)]

    # ------------------------------------------------------------------------------------------
    # Recording changes, muting, dispatching (one transaction per batch)

    def _apply(
        self, changes: list[tuple[Instance, Change]], now: datetime, *, refresh_all: bool = False
    ) -> None:
        """Record changes and queue notifications in one transaction. If the database refuses
        (down, locked), the changes wait in memory and are recorded first thing next time; the
        groups are re-flushed then, and the outbox keys drop whatever was queued already."""
        changes = self._unrecorded + changes
        self._unrecorded = []
        try:
            self._record(changes, now, refresh_all=refresh_all)
        except SQLAlchemyError:
            log.exception("recording %d alert changes failed; they are kept and retried", len(changes))
            self._unrecorded = changes
            self.dispatcher.redo(now)
            raise

    def _record(
        self, changes: list[tuple[Instance, Change]], now: datetime, *, refresh_all: bool = False
    ) -> None:
        with self.db.session() as session:
            topology_changed = False
            for instance, change in changes:
                if instance.rule.kind == "unreachable" and change is not Change.flapping:
                    self.suppressor.mark_down(instance.device_id, change is Change.firing)
                    topology_changed = True
            # New alerts are inserted together: one flush gives them all their ids.
            opened = {id(i): self._new_alert(i, now) for i, change in changes if change is Change.firing}
            if opened:
                session.add_all(opened.values())
                session.flush()
            for instance, change in changes:
                if change is Change.firing:
                    self._fire(session, instance, opened[id(instance)], now)
                elif change is Change.resolved:
                    self._resolve(session, instance, now)
                else:
                    self._flapping(session, instance, now)
            self._refresh_mutes(session, now, everything=topology_changed or refresh_all)
            items, escalated = self.dispatcher.flush(now, everything=refresh_all)
            self._record_escalations(session, escalated, now)
            enqueue(session, items, now)
        if items:
            if self.options.track_latency:
                for item in items:
                    self.origin_by_key.setdefault(item.dedup_key, item.origin_ns)
            self._wake.set()

    def _new_alert(self, instance: Instance, now: datetime) -> Alert:
        rule = instance.rule
        device = self.directory.get(instance.device_id)
        entity_labels = dict(zip(rule.entity, instance.entity, strict=False))
        labels: dict[str, Any] = {
            "alertname": rule.name,
            "severity": rule.spec.severity,
            "category": rule.spec.category,
            "kind": rule.kind,
            "device": device.name,
            "device_id": str(device.id),
            "role": device.role,
            "site": device.site,
            "site_id": str(device.site_id or ""),
            "agency": device.agency,
            "agency_id": str(device.agency_id or ""),
            "tags": sorted(device.tags),
            **entity_labels,
            **rule.spec.labels,
        }
        summary, summary_vi = texts(
            rule.spec.summary.en,
            rule.spec.summary.vi,
            rule=rule.name,
            device=device,
            entity=instance.entity_text,
            value=instance.value,
            threshold=rule.spec.value,
            detail=instance.detail,
        )
        return Alert(
            state="firing",
            firing_at=now,
            fingerprint=instance.fingerprint,
            rule_name=rule.name,
            rule_kind=rule.kind,
            category=rule.spec.category,
            severity=rule.spec.severity,
            device_id=instance.device_id,
            entity=instance.entity_text,
            labels=labels,
            value=instance.value,
            summary=summary,
            summary_vi=summary_vi,
            started_at=instance.pending_since or now,
            flapping=instance.flapping,
        )

    def _fire(self, session: Any, instance: Instance, alert: Alert, now: datetime) -> None:
        rule = instance.rule
        device = self.directory.get(instance.device_id)
        labels, summary, summary_vi = alert.labels, alert.summary, alert.summary_vi
        note(session, alert.id, "firing", now, detail=summary)
        instance.alert_id = alert.id
        instance.acked = False
        instance.escalation_level = 0
        body = {
            "alert_id": alert.id,
            "fingerprint": instance.fingerprint,
            "rule": rule.name,
            "severity": rule.spec.severity,
            "category": rule.spec.category,
            "device": device.name,
            "device_id": instance.device_id,
            "site": device.site,
            "agency": device.agency,
            "systems": list(device.systems),
            "entity": instance.entity_text,
            "value": instance.value,
            "summary": summary,
            "summary_vi": summary_vi,
            "started_at": (instance.pending_since or now).isoformat(),
            "labels": {k: v for k, v in labels.items() if k != "tags"},
        }
        snapshot = AlertSnapshot(
            fingerprint=instance.fingerprint,
            alert_id=alert.id,
            state="firing",
            labels=labels,
            body=body,
            firing_at=now,
            flapping=instance.flapping,
            origin_ns=instance.origin_ns,
        )
        self.snapshots[instance.fingerprint] = snapshot
        self._mute(session, instance, snapshot, now)
        self.dispatcher.update(snapshot, now)

    def _resolve(self, session: Any, instance: Instance, now: datetime) -> None:
        if instance.alert_id is not None:
            session.execute(
                update(Alert)
                .where(Alert.id == instance.alert_id)
                .values(
                    state="resolved", resolved_at=now, flapping=False, value=instance.value, updated_at=now
                )
            )
            note(session, instance.alert_id, "resolved", now)
        snapshot = self.snapshots.pop(instance.fingerprint, None)
        if snapshot is not None:
            snapshot.state = "resolved"
            snapshot.flapping = False
            snapshot.origin_ns = instance.origin_ns
            snapshot.body = snapshot.body | {"resolved_at": now.isoformat(), "value": instance.value}
            self.dispatcher.update(snapshot, now)
        instance.alert_id = None
        instance.acked = False
        instance.silenced = False
        instance.suppressed_by = None
        instance.escalation_level = 0

    def _flapping(self, session: Any, instance: Instance, now: datetime) -> None:
        if instance.alert_id is not None:
            session.execute(
                update(Alert).where(Alert.id == instance.alert_id).values(flapping=True, updated_at=now)
            )
            note(session, instance.alert_id, "flapping", now, detail="too many state changes; held firing")
        snapshot = self.snapshots.get(instance.fingerprint)
        if snapshot is not None:
            snapshot.flapping = True
            snapshot.origin_ns = instance.origin_ns
            self.dispatcher.update(snapshot, now)

    def _mute(self, session: Any, instance: Instance, snapshot: AlertSnapshot, now: datetime) -> bool:
        """Apply silences and suppression; record a change; True when the mute state changed."""
        silence = self.silences.muting(snapshot.labels, now)
        root = self.suppressor.root_cause(instance.device_id)
        suppressed_by = f"{root.name} unreachable" if root is not None else None
        silenced = silence is not None
        if silenced == instance.silenced and suppressed_by == instance.suppressed_by and instance.alert_id:
            snapshot.muted = silenced or suppressed_by is not None
            return False
        instance.silenced = silenced
        instance.suppressed_by = suppressed_by
        snapshot.muted = silenced or suppressed_by is not None
        if instance.alert_id is not None:
            session.execute(
                update(Alert)
                .where(Alert.id == instance.alert_id)
                .values(silenced=silenced, suppressed=suppressed_by is not None, suppressed_by=suppressed_by)
            )
            if silence is not None:
                note(session, instance.alert_id, "silenced", now, detail=f"{silence.kind} {silence.id}")
            if suppressed_by is not None:
                note(session, instance.alert_id, "suppressed", now, detail=suppressed_by)
        return True

    def _refresh_mutes(self, session: Any, now: datetime, *, everything: bool) -> None:
        """Silences start and end with time, and upstream devices go down and come back."""
        if not everything:
            return
        for instance in self.instances.values():
            if instance.alert_id is None:
                continue
            snapshot = self.snapshots.get(instance.fingerprint)
            if snapshot is None:
                continue
            was_muted = snapshot.muted
            if self._mute(session, instance, snapshot, now) and was_muted and not snapshot.muted:
                self.dispatcher.update(snapshot, now)  # unmuted while firing: notify now

    def _record_escalations(self, session: Any, escalated: list[Escalated], now: datetime) -> None:
        for done in escalated:
            session.execute(
                update(Alert).where(Alert.id == done.alert_id).values(escalation_level=done.level)
            )
            note(session, done.alert_id, "escalated", now, detail=f"level {done.level} to {done.receiver}")
            for instance in self.instances.values():
                if instance.fingerprint == done.fingerprint:
                    instance.escalation_level = done.level

    # ------------------------------------------------------------------------------------------
    # Actions from the API

    def acknowledged(self, fingerprint_: str) -> None:
        """The API recorded an acknowledgement: stop repeats and escalation for this occurrence."""
        snapshot = self.snapshots.get(fingerprint_)
        if snapshot is not None:
            snapshot.acked = True
        for instance in self.instances.values():
            if instance.fingerprint == fingerprint_:
                instance.acked = True

    def queue(self, items: list[OutboxItem]) -> None:
        with self.db.session() as session:
            enqueue(session, items, self.clock.now())
        self._wake.set()

    async def deliver(self) -> int:
        """Deliver what is due in the outbox (the background loop does this continuously)."""
        return await self.outbox.drain()

    # ------------------------------------------------------------------------------------------
    # Background loops

    async def _tick_loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("alert engine tick failed")
            await asyncio.sleep(self.options.tick_seconds)

    async def _delivery_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.options.tick_seconds)
            self._wake.clear()
            try:
                while await self.outbox.deliver_due():
                    pass
            except Exception:
                log.exception("alert delivery pass failed")

    def _snapshot_from_row(self, row: Alert, instance: Instance) -> AlertSnapshot:
        device = self.directory.get(row.device_id)
        body = {
            "alert_id": row.id,
            "fingerprint": row.fingerprint,
            "rule": row.rule_name,
            "severity": row.severity,
            "category": row.category,
            "device": device.name,
            "device_id": row.device_id,
            "site": device.site,
            "agency": device.agency,
            "systems": list(device.systems),
            "entity": row.entity,
            "value": row.value,
            "summary": row.summary,
            "summary_vi": row.summary_vi,
            "started_at": aware(row.started_at).isoformat(),
            "labels": {k: v for k, v in row.labels.items() if k != "tags"},
        }
        return AlertSnapshot(
            fingerprint=row.fingerprint,
            alert_id=row.id,
            state="firing",
            labels=dict(row.labels),
            body=body,
            firing_at=aware(row.firing_at or row.started_at),
            acked=instance.acked,
            muted=instance.silenced or instance.suppressed_by is not None,
            flapping=row.flapping,
            escalation_level=row.escalation_level,
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "up", "ok")
    return bool(value)


def rule_row(spec: RuleSpec, origin: str = "api") -> AlertRule:
    return AlertRule(
        name=spec.name,
        kind=spec.kind,
        category=spec.category,
        severity=spec.severity,
        enabled=spec.enabled,
        spec=spec.dump(),
        origin=origin,
    )


def load_routing(row: AlertRouting | None, box: SecretBox) -> RoutingConfig:
    if row is None:
        return RoutingConfig()
    try:
        return RoutingConfig.from_stored(row.config, box.open(row.secrets_encrypted))
    except ValueError as exc:
        log.error("stored alert routing is invalid; using the log receiver only: %s", exc)
        return RoutingConfig()
