"""The alert engine: samples and events in, recorded alerts and queued notifications out.

Stages, in order (each its own module):
  rules/      which rules a sample or event meets (index by measurement and scope) and whether
              their condition holds (thresholds with hysteresis, rates, reachability, events ...)
  state       the instance per (rule, device, entity): pending -> firing -> resolved, flapping
              (evaluator.py drives these two, in memory)
  store       every occurrence and transition recorded in the database (recorder.py drives this
              and the next three stages, in one transaction per batch)
  silences    silences and maintenance windows mute notifications (recording continues)
  suppression alerts behind a down upstream device are suppressed; the root cause is notified
  dispatch/   routing tree, grouping with group wait/interval/repeat, escalation
  outbox      notifications stored durably, then delivered by notify/ channels with retries

Everything evaluates in memory as samples arrive; the database is written only when something
changes (an alert fires, resolves, flaps, is acknowledged, or a notification is queued).

The engine's state and its database work belong to ONE worker thread that the engine owns:
evaluation and recording of each batch, the periodic tick (reloads, directory refreshes) and the
outbox's reads and writes run there, one after another, in the order they were asked for. The
event loop only hands work over and awaits it, so a slow or exhausted database pool delays alerts
but never stops polling, the sinks or the API.

Several `eams serve` instances on one PostgreSQL database (the bus with partition leadership):
each engine owns the alerts of the devices on the partitions its instance leads (ownership.py):
it evaluates only their samples, restores their alerts when it gains a partition and forgets
them, unresolved and unnotified, when it loses one; one instance at a time delivers the outbox.
Without that (SQLite, bus off) the engine owns everything and none of it costs anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from collectors.samples import Event, Sample, Severity
from eams.alerts.clock import Clock, SystemClock, aware
from eams.alerts.directory import DeviceDirectory
from eams.alerts.dispatch.config import RoutingConfig
from eams.alerts.dispatch.dispatcher import Dispatcher
from eams.alerts.evaluator import RuleEvaluator
from eams.alerts.models import Alert, AlertHistory, AlertRouting, AlertRule, OutboxMessage, Silence
from eams.alerts.notify.base import Channel
from eams.alerts.outbox import Backoff, OutboxDeliverer
from eams.alerts.ownership import PartitionOwnership
from eams.alerts.recorder import AlertRecorder
from eams.alerts.retired_rules import retire_replaced_rules
from eams.alerts.rules.compiled import CompiledRule
from eams.alerts.rules.loader import DEFAULT_RULES, load_rule_files
from eams.alerts.rules.spec import RuleSpec
from eams.alerts.silences import SilenceBook
from eams.alerts.state import Change, FlapPolicy, Instance, Status, fingerprint
from eams.alerts.store import active_alerts, resolutions_owed
from eams.alerts.suppression import DependencySuppressor
from eams.cluster.singleton import JobLock
from inventory.db import Database
from inventory.secretbox import SecretBox

log = logging.getLogger(__name__)

InstanceKey = tuple[str, int | None, tuple[str, ...]]
T = TypeVar("T")

# The engine raises its own alert when a receiver refuses notifications for good (rule
# `notification-refused` in rules/defaults.yaml), and clears it when that receiver accepts again.
NOTIFICATION_EVENT = "notification"


@dataclass
class EngineOptions:
    rule_paths: tuple[Path, ...] = (DEFAULT_RULES,)
    tick_seconds: float = 1.0
    directory_refresh_seconds: float = 300.0
    inventory_check_seconds: float = 3600.0
    flap: FlapPolicy = field(default_factory=FlapPolicy)
    backoff: Backoff = field(default_factory=Backoff)
    outbox_retention_days: float = 30.0
    # Several instances: how often the devices down on other instances' partitions are read
    # (for dependency suppression); well inside a group's wait (30 s), so a core switch down on
    # one partition is known before the first notification behind it on another.
    down_elsewhere_seconds: float = 5.0
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
        self.evaluator = RuleEvaluator(
            self.directory, self.options.flap, self.options.inventory_check_seconds
        )
        self.routing = RoutingConfig()
        self.dispatcher = Dispatcher(self.routing)
        self.recorder = AlertRecorder(
            db, self.directory, self.silences, self.suppressor, self.dispatcher, self.evaluator.instances
        )
        self.channels: dict[str, Channel] = {}
        self._worker: ThreadPoolExecutor | None = None
        self.outbox = OutboxDeliverer(
            db, self.clock, lambda: self.channels, self.options.backoff, run=self.in_worker
        )
        self.outbox.on_refused = self._receiver_refused
        self.origin_by_key: dict[str, int] = {}
        self._versions: dict[str, Any] = {}
        self._directory_at: datetime | None = None
        self._purged_at: datetime | None = None
        self._down_elsewhere_at: datetime | None = None
        self._pruned_generation = -1
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._retired_channels: list[Channel] = []
        self._unrecorded: list[tuple[Instance, Change]] = []
        # Several instances (join_cluster): the partitions whose devices this engine owns.
        self.ownership: PartitionOwnership | None = None
        self._delivery_lock: JobLock | None = None
        self._restore_owed: set[int] = set()  # partitions gained whose alerts are not restored yet

    # ------------------------------------------------------------------------------------------
    # The worker thread

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the engine's one worker thread, after what was asked before."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-engine")
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    # ------------------------------------------------------------------------------------------
    # Several instances on one database

    def join_cluster(self, ownership: PartitionOwnership, delivery_lock: JobLock | None) -> None:
        """Before start: own only the devices of the partitions `lead` hands over (none until
        then), and deliver the outbox only while holding `delivery_lock` (None: always)."""
        self.ownership = ownership
        self.evaluator.owns = ownership.owns
        self._delivery_lock = delivery_lock
        self.outbox.gate = delivery_lock.hold if delivery_lock is not None else None

    async def lead(self, held: frozenset[int]) -> None:
        """This instance leads these partitions now (after the bus consumer moved to them)."""
        await self.in_worker(self._lead, frozenset(held))

    def _lead(self, held: frozenset[int]) -> None:
        ownership = self.ownership
        if ownership is None:
            return
        gained, lost = held - ownership.held, ownership.held - held
        ownership.held = held
        if lost:
            self._forget_partitions(ownership, lost)
            self._restore_owed -= lost
        if gained:
            # Devices of a new partition that never reported start their absence window now.
            self.evaluator.started_at = self.clock.now()
            self._restore_owed |= gained
            self._restore_partitions()

    def _restore_partitions(self) -> None:
        """Restore the gained partitions whose restore is owed; if the database refuses, the next
        tick tries again (the leadership loop must never wait on it, nor die of it)."""
        ownership, owed = self.ownership, frozenset(self._restore_owed)
        if ownership is None or not owed:
            return
        try:
            restored = self._restore(lambda device_id: ownership.partition(device_id) in owed)
        except SQLAlchemyError:
            log.exception("restoring the alerts of bus partitions %s failed; retried", sorted(owed))
            return
        self._restore_owed -= owed
        # A warning, as the leadership's own: what a takeover brought back is worth seeing.
        log.warning("restored %d alerts of bus partitions %s", restored, sorted(owed))

    def _forget_partitions(self, ownership: PartitionOwnership, lost: frozenset[int]) -> None:
        """Another instance leads these partitions now, and restores their alerts from the
        database: drop them here without resolving or notifying anything."""

        def moved(device_id: int | None) -> bool:
            return ownership.partition(device_id) in lost

        dropped = self.evaluator.forget(lambda instance: moved(instance.device_id))
        for instance in dropped:
            self.recorder.snapshots.pop(instance.fingerprint, None)
            if instance.rule.kind == "unreachable":
                self.suppressor.mark_down(instance.device_id, False)
        self.dispatcher.forget(lambda snapshot: moved(snapshot.body.get("device_id")))
        # Changes the database refused: the new owner decides again from its own evaluation.
        self._unrecorded = [(i, c) for i, c in self._unrecorded if not moved(i.device_id)]
        log.warning("forgot %d alert instances of bus partitions %s", len(dropped), sorted(lost))

    # ------------------------------------------------------------------------------------------
    # Start, stop, reload

    def open(self) -> None:
        """Load rules, routing, silences, inventory and the alerts still firing (after a restart)."""
        self.evaluator.started_at = self.clock.now()
        self.seed_rules()
        self.reload(force=True)
        self.directory.refresh()
        self._directory_at = self.clock.now()
        if self.ownership is None:  # in a cluster, each partition's alerts come with its leadership
            self._restore()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.in_worker(self.open)
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
        if self._delivery_lock is not None:
            await self.in_worker(self._delivery_lock.dispose)  # another instance delivers now
        if self._worker is not None:
            worker, self._worker = self._worker, None
            await asyncio.get_running_loop().run_in_executor(None, worker.shutdown)

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
            # Per-vendor rules of earlier releases that by_meaning rules replaced, if unedited.
            retire_replaced_rules(session, {spec.name for spec in specs})

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
                self.evaluator.install_rules(compiled)
            if force or versions["silences"] != self._versions.get("silences"):
                self.silences.load(list(session.scalars(select(Silence))))
            if force or versions["routing"] != self._versions.get("routing"):
                row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
                self._install_routing(load_routing(row, self.secret_box))
            self._follow_acknowledgements(session, initial=force)
        self._versions = versions | {"acks": self._versions.get("acks", 0)}

    def _follow_acknowledgements(self, session: Any, *, initial: bool) -> None:
        """Acknowledgements made by another process (an API worker) reach this engine too; at
        start-up the restored alerts already carry theirs."""
        if initial:
            self._versions["acks"] = session.scalar(select(func.max(AlertHistory.id))) or 0
            return
        since = self._versions.get("acks", 0)
        acknowledged = session.execute(
            select(AlertHistory.id, Alert.fingerprint)
            .join(Alert, Alert.id == AlertHistory.alert_id)
            .where(AlertHistory.action == "acknowledged", AlertHistory.id > since, Alert.state == "firing")
        )
        for history_id, fingerprint_ in acknowledged:
            self.recorder.acknowledged(fingerprint_)
            since = max(since, history_id)
        self._versions["acks"] = since

    def purge_outbox(self) -> int:
        """Delivered notifications older than the retention are deleted (pending ones never)."""
        cutoff = self.clock.now() - timedelta(days=self.options.outbox_retention_days)
        with self.db.session() as session:
            result = session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.status == "delivered", OutboxMessage.delivered_at < cutoff
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _install_routing(self, config: RoutingConfig) -> None:
        # Old channels may be mid-delivery; they are closed when the engine stops.
        self._retired_channels.extend(self.channels.values())
        self.routing = config
        self.channels = {receiver.name: receiver.channel() for receiver in config.receivers}
        self.dispatcher.reconfigure(config, self.clock.now())

    def _restore(self, owned: Callable[[int | None], bool] | None = None) -> int:
        """The alerts still firing, and the resolutions still owed, come back into memory: all of
        them at start-up, or those of the devices `owned` picks (a partition gained)."""
        with self.db.session() as session:
            rows = active_alerts(session)
            owed_resolutions = resolutions_owed(session)
        if owned is not None:
            rows = [row for row in rows if owned(row.device_id)]
            owed_resolutions = [row for row in owed_resolutions if owned(row.device_id)]
        rules = {rule.name: rule for rule in self.evaluator.index.rules}
        now = self.clock.now()
        restored = 0
        for row in rows:
            rule = rules.get(row.rule_name)
            if rule is None:
                continue
            entity = tuple(str(row.labels.get(name, "")) for name in rule.entity)
            if fingerprint(rule.name, row.device_id, entity) != row.fingerprint:
                # A sender outside the inventory (rows from before `sender` was kept: the name).
                entity = (*entity, str(row.labels.get("sender", row.labels.get("device", ""))))
            known = self.evaluator.instances.get((rule.name, row.device_id, entity))
            if known is not None and known.active:
                continue  # raised here since (a device-less alert this instance saw itself)
            restored += 1
            instance = self.evaluator.instance(rule, row.device_id, entity)
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
            self.evaluator.track(instance)
            snapshot = self.recorder.snapshot_from_row(row)
            self.recorder.snapshots[instance.fingerprint] = snapshot
            # What was notified before the restart counts as notified now (repeats continue from
            # here); a FIRING still inside its group wait is sent when the wait ends.
            self.dispatcher.restore(snapshot, now, notified=row.notified == "firing")
        for row in owed_resolutions:
            self.dispatcher.restore(self.recorder.snapshot_from_row(row), now, notified=True)
        return restored

    # ------------------------------------------------------------------------------------------
    # Consuming samples and events (the hot path)

    async def consume_samples(self, samples: list[Sample]) -> None:
        await self.in_worker(self._consume_samples, samples, time.perf_counter_ns())

    async def consume_event(self, event: Event) -> None:
        await self.in_worker(self._consume_event, event, time.perf_counter_ns())

    def _consume_samples(self, samples: list[Sample], arrived: int) -> None:
        ownership = self.ownership
        if ownership is not None:  # in a cluster: only the devices of the partitions led here
            owns = ownership.owns
            samples = [s for s in samples if s.device_id is None or owns(s.device_id)]
        now = self.clock.now()
        changes = self.evaluator.evaluate(samples, now, arrived)
        if changes or self._unrecorded:
            self._apply(changes, now)

    def _consume_event(self, event: Event, arrived: int) -> None:
        ownership = self.ownership
        if ownership is not None and event.device_id is not None and not ownership.owns(event.device_id):
            return  # another instance leads this device's partition
        now = self.clock.now()
        device = self.directory.resolve(event.device_id, event.source)
        changes = self.evaluator.evaluate_event(event, device, now, arrived)
        if changes or self._unrecorded:
            self._apply(changes, now)

    def evaluate(self, samples: list[Sample], now: datetime) -> list[tuple[Instance, Change]]:
        """Evaluation alone, without recording (benchmarks measure this stage by itself)."""
        return self.evaluator.evaluate(samples, now)

    # ------------------------------------------------------------------------------------------
    # Periodic work: stale, absence, inventory, event expiry, flapping, silences in time

    async def tick(self) -> None:
        await self.in_worker(self.tick_now)

    def tick_now(self) -> None:
        """The periodic stage itself (on the worker thread; `tick` hands it there)."""
        now = self.clock.now()
        self.reload()
        if self._restore_owed:
            self._restore_partitions()
        if self._directory_at is None or now - self._directory_at >= timedelta(
            seconds=self.options.directory_refresh_seconds
        ):
            self.directory.refresh()
            self._directory_at = now
        elif self.directory.refresh_if_changed():
            self._directory_at = now
        if self.ownership is not None and (
            self._down_elsewhere_at is None
            or now - self._down_elsewhere_at >= timedelta(seconds=self.options.down_elsewhere_seconds)
        ):
            self._read_down_elsewhere()
            self._down_elsewhere_at = now
        changes: list[tuple[Instance, Change]] = []
        # After any refresh (here, or one a lookup of a new device made), and once after start-up
        # for alerts restored from before it: devices gone from the inventory take their alerts.
        if self.directory.generation != self._pruned_generation:
            changes += self.evaluator.forget_missing_devices(now)
            self._pruned_generation = self.directory.generation
        changes += self.evaluator.evaluate_periodic(now)
        self._apply(changes, now, refresh_all=True)
        if self._purged_at is None or now - self._purged_at >= timedelta(hours=1):
            self.purge_outbox()
            self._purged_at = now

    def _read_down_elsewhere(self) -> None:
        """Devices with a firing unreachable alert that another instance owns: they suppress
        this instance's alerts behind them as its own down devices do (the tick's mute refresh
        applies the change)."""
        ownership = self.ownership
        assert ownership is not None
        with self.db.session() as session:
            down = session.scalars(
                select(Alert.device_id).where(
                    Alert.state == "firing", Alert.rule_kind == "unreachable", Alert.device_id.is_not(None)
                )
            ).all()
        if self.suppressor.set_down_elsewhere(d for d in down if d is not None and not ownership.owns(d)):
            log.info("devices down on other instances: %s", sorted(self.suppressor.down_elsewhere))

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
            items = self.recorder.record(changes, now, refresh_all=refresh_all)
        except SQLAlchemyError:
            log.exception("recording %d alert changes failed; they are kept and retried", len(changes))
            self._unrecorded = changes
            self.dispatcher.redo(now)
            raise
        if items:
            if self.options.track_latency:
                for item in items:
                    self.origin_by_key.setdefault(item.dedup_key, item.origin_ns)
            self._wake_delivery()

    def _wake_delivery(self) -> None:
        # Called on the worker thread: the event belongs to the loop, so set it from there.
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def acknowledged(self, fingerprint_: str) -> None:
        """An acknowledgement recorded in this thread's turn (tests, the worker): stop repeats and
        escalation for this occurrence. The API does not call this; the engine reads
        acknowledgements from the alert history on its next tick, whoever recorded them."""
        self.recorder.acknowledged(fingerprint_)

    async def _receiver_refused(self, receiver: str, reason: str | None) -> None:
        """A receiver refused a notification for good (or accepts again): the engine's own alert."""
        refused = reason is not None
        event = Event(
            kind=NOTIFICATION_EVENT,
            name="refused" if refused else "accepted",
            severity=Severity.critical if refused else Severity.info,
            message=(
                f"Người nhận {receiver} từ chối thông báo, không gửi lại: {reason} / "
                f"receiver {receiver} refused a notification, not retried: {reason}"
                if refused
                else f"receiver {receiver} accepts notifications again"
            ),
            source="eams",
            labels={"receiver": receiver},
        )
        await self.consume_event(event)

    # ------------------------------------------------------------------------------------------
    # Actions from the API

    async def deliver(self) -> int:
        """Deliver what is due in the outbox (the background loop does this continuously)."""
        self._loop = asyncio.get_running_loop()
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
