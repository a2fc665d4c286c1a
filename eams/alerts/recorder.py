"""Recording: alert occurrences and their history in the database, silences and dependency
suppression applied, dispatch consulted and its notifications queued in the outbox, all in the
transaction that records the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from eams.alerts.clock import aware
from eams.alerts.directory import SERVICE_NAME, DeviceDirectory, DeviceInfo
from eams.alerts.dispatch.dispatcher import Dispatcher
from eams.alerts.dispatch.groups import AlertSnapshot, Escalated, OutboxItem
from eams.alerts.messages import texts
from eams.alerts.models import Alert
from eams.alerts.outbox import enqueue
from eams.alerts.silences import SilenceBook
from eams.alerts.state import Change, Instance
from eams.alerts.store import note
from eams.alerts.suppression import DependencySuppressor
from inventory.db import Database


class AlertRecorder:
    def __init__(
        self,
        db: Database,
        directory: DeviceDirectory,
        silences: SilenceBook,
        suppressor: DependencySuppressor,
        dispatcher: Dispatcher,
        instances: dict[Any, Instance],
    ) -> None:
        self.db = db
        self.directory = directory
        self.silences = silences
        self.suppressor = suppressor
        self.dispatcher = dispatcher
        self.instances = instances
        self.snapshots: dict[str, AlertSnapshot] = {}

    def record(
        self, changes: list[tuple[Instance, Change]], now: datetime, *, refresh_all: bool = False
    ) -> list[OutboxItem]:
        """Record changes, apply silences and suppression, and queue what dispatch says is due,
        in one transaction; returns the queued items."""
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
            self._record_notified(session, items)
        return items

    def _device_of(self, instance: Instance) -> DeviceInfo:
        """The device an alert is about. One outside the inventory (the service itself, a trap
        sender known only by its address) is the last part of the instance's entity, as the
        evaluator named it from the event's source: the alert and its mail say "eams" or
        "192.0.2.7", not "unknown"."""
        if instance.device_id is not None:
            return self.directory.get(instance.device_id)
        sender = instance.entity[-1] if len(instance.entity) > len(instance.rule.entity) else None
        return DeviceInfo(id=0, name=str(sender or SERVICE_NAME))

    def _new_alert(self, instance: Instance, now: datetime) -> Alert:
        rule = instance.rule
        device = self._device_of(instance)
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
        if len(instance.entity) > len(rule.entity):
            # A sender outside the inventory (its address, or the service itself) is part of the
            # alert's identity: kept so that a restart or a takeover restores the same instance.
            labels["sender"] = instance.entity[-1]
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
        device = self._device_of(instance)
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
            snapshot.resolved_at = now
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

    def _record_notified(self, session: Any, items: list[OutboxItem]) -> None:
        """What the queued items tell, and which resolutions nothing is owed for any more, on the
        alerts themselves (same transaction as the outbox rows): start-up restores what is owed."""
        notified: dict[int, str] = {}
        for item in items:
            for alert in item.payload.get("alerts", []):
                if isinstance(alert.get("alert_id"), int):
                    notified[alert["alert_id"]] = str(alert.get("state", "firing"))
        for alert_id in self.dispatcher.take_settled():
            notified[alert_id] = "resolved"
        by_state: dict[str, list[int]] = {}
        for alert_id, state in notified.items():
            by_state.setdefault(state, []).append(alert_id)
        for state, ids in by_state.items():
            session.execute(update(Alert).where(Alert.id.in_(ids)).values(notified=state))

    def _record_escalations(self, session: Any, escalated: list[Escalated], now: datetime) -> None:
        for done in escalated:
            session.execute(
                update(Alert).where(Alert.id == done.alert_id).values(escalation_level=done.level)
            )
            note(session, done.alert_id, "escalated", now, detail=f"level {done.level} to {done.receiver}")
            for instance in self.instances.values():
                if instance.fingerprint == done.fingerprint:
                    instance.escalation_level = done.level

    def acknowledged(self, fingerprint_: str) -> None:
        """The API recorded an acknowledgement: stop repeats and escalation for this occurrence."""
        snapshot = self.snapshots.get(fingerprint_)
        if snapshot is not None:
            snapshot.acked = True
        for instance in self.instances.values():
            if instance.fingerprint == fingerprint_:
                instance.acked = True

    def snapshot_from_row(self, row: Alert) -> AlertSnapshot:
        device = (
            self.directory.get(row.device_id)
            if row.device_id is not None
            else DeviceInfo(id=0, name=str((row.labels or {}).get("device") or SERVICE_NAME))
        )
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
        resolved_at = aware(row.resolved_at) if row.resolved_at is not None else None
        if resolved_at is not None:
            body |= {"resolved_at": resolved_at.isoformat()}
        return AlertSnapshot(
            fingerprint=row.fingerprint,
            alert_id=row.id,
            state=row.state,
            labels=dict(row.labels),
            body=body,
            firing_at=aware(row.firing_at or row.started_at),
            acked=row.acked_by is not None,
            muted=row.silenced or row.suppressed_by is not None,
            flapping=row.flapping,
            escalation_level=row.escalation_level,
            resolved_at=resolved_at,
        )
