"""Aggregation groups: alerts that share a route and group labels are notified together, after
`group_wait` for a new group, at most every `group_interval` for changes, and again every
`repeat_interval` while something unacknowledged is firing. Escalation steps fire per alert."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eams.alerts.dispatch.routing import Route


@dataclass(eq=False)
class AlertSnapshot:
    """What dispatch needs to know of one alert occurrence."""

    fingerprint: str
    alert_id: int
    state: str  # firing or resolved
    labels: dict[str, Any]
    body: dict[str, Any]  # the alert as notifications show it
    firing_at: datetime
    acked: bool = False
    muted: bool = False  # silenced or suppressed: recorded, not notified
    flapping: bool = False
    escalation_level: int = 0
    origin_ns: int = 0
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class OutboxItem:
    receiver: str
    dedup_key: str
    payload: dict[str, Any]
    origin_ns: int = 0
    # Rows of one group to one receiver are delivered in the order they were queued, so one
    # alert's RESOLVED never overtakes its FIRING while that one backs off.
    order_key: str = ""


@dataclass(frozen=True)
class Escalated:
    fingerprint: str
    alert_id: int
    level: int
    receiver: str


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


@dataclass(eq=False)
class Group:
    route: Route
    labels: tuple[tuple[str, str], ...]
    alerts: dict[str, AlertSnapshot] = field(default_factory=dict)
    next_flush: datetime | None = None
    last_sent_at: datetime | None = None
    last_signature: frozenset[tuple[str, int, str, bool]] | None = None
    notified: set[str] = field(default_factory=set)
    repeats: int = 0
    # Alert ids whose resolution this group has done with (sent, or nothing owed): their rows
    # stop being restored at start-up.
    settled: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return _key(self.route.id, self.labels)

    def put(self, snapshot: AlertSnapshot, now: datetime, *, changed: bool) -> None:
        self.alerts[snapshot.fingerprint] = snapshot
        if not changed or self.next_flush is not None:
            return
        if self.last_sent_at is None:
            self.next_flush = now + timedelta(seconds=self.route.group_wait)
        else:
            self.next_flush = max(now, self.last_sent_at + timedelta(seconds=self.route.group_interval))

    def restore(self, snapshot: AlertSnapshot, now: datetime, *, notified: bool) -> None:
        """An alert known from before a restart or a new routing tree. One that was notified counts
        as notified now (repeats continue from here); one whose notification was still owed is
        due when its group wait ends, counted from when it fired (or resolved), not from now."""
        self.alerts[snapshot.fingerprint] = snapshot
        if notified:
            self.notified.add(snapshot.fingerprint)
            if self.last_sent_at is None:
                self.last_sent_at = now
            if snapshot.state == "firing":
                return
        since = snapshot.resolved_at or snapshot.firing_at
        due = since + timedelta(seconds=self.route.group_wait)
        self.next_flush = due if self.next_flush is None else min(self.next_flush, due)

    def flush(self, now: datetime) -> OutboxItem | None:
        firing = [s for s in self.alerts.values() if s.state == "firing" and not s.muted]
        resolved = [
            s
            for s in self.alerts.values()
            if s.state == "resolved" and not s.muted and s.fingerprint in self.notified
        ]
        item: OutboxItem | None = None
        if self.next_flush is not None and now >= self.next_flush:
            self.next_flush = None
            signature = frozenset((s.fingerprint, s.alert_id, s.state, s.flapping) for s in firing + resolved)
            if (firing or resolved) and signature != self.last_signature:
                self.repeats = 0
                item = self._item(firing + resolved, now, signature, "notification")
        elif (
            self.last_sent_at is not None
            and any(not s.acked for s in firing)
            and now - self.last_sent_at >= timedelta(seconds=self.route.repeat_interval)
        ):
            self.repeats += 1
            signature = frozenset((s.fingerprint, s.alert_id, s.state, s.flapping) for s in firing)
            item = self._item([s for s in firing if not s.acked], now, signature, f"repeat:{self.repeats}")
        if item is not None:
            self.notified |= {s.fingerprint for s in firing}
        if self.next_flush is None:
            for snapshot in [s for s in self.alerts.values() if s.state == "resolved"]:
                self.alerts.pop(snapshot.fingerprint, None)
                self.settled.append(snapshot.alert_id)
                self.notified.discard(snapshot.fingerprint)
        return item

    def _item(
        self, alerts: list[AlertSnapshot], now: datetime, signature: frozenset[Any], reason: str
    ) -> OutboxItem:
        self.last_sent_at = now
        self.last_signature = signature
        receiver = self.route.receiver
        key = _key(receiver, self.key, sorted(signature), reason)
        return OutboxItem(
            receiver,
            key,
            notification_payload(alerts, dict(self.labels), reason),
            origin_ns=max((a.origin_ns for a in alerts), default=0),
            order_key=self.key,
        )

    def escalations(self, now: datetime) -> list[tuple[OutboxItem, Escalated]]:
        steps = self.route.escalate
        found: list[tuple[OutboxItem, Escalated]] = []
        if not steps:
            return found
        for snapshot in self.alerts.values():
            if snapshot.state != "firing" or snapshot.acked or snapshot.muted:
                continue
            level = snapshot.escalation_level
            if level >= len(steps) or now - snapshot.firing_at < timedelta(seconds=steps[level].after):
                continue
            step = steps[level]
            snapshot.escalation_level = level + 1
            key = _key(step.receiver, snapshot.fingerprint, snapshot.alert_id, "escalation", level + 1)
            payload = notification_payload([snapshot], dict(self.labels), f"escalation:{level + 1}")
            found.append(
                (
                    OutboxItem(step.receiver, key, payload, origin_ns=snapshot.origin_ns, order_key=self.key),
                    Escalated(snapshot.fingerprint, snapshot.alert_id, level + 1, step.receiver),
                )
            )
        return found


def notification_payload(alerts: list[AlertSnapshot], group: dict[str, str], reason: str) -> dict[str, Any]:
    firing = [a for a in alerts if a.state == "firing"]
    status = "firing" if firing else "resolved"
    first = alerts[0].body if alerts else {}
    subject = f"{first.get('rule', '')} {first.get('device', '')}".strip()
    escalated = reason.startswith("escalation")
    prefix_en = ("[ESCALATED] " if escalated else "") + (
        f"[FIRING:{len(firing)}]" if firing else "[RESOLVED]"
    )
    prefix_vi = ("[CHUYỂN CẤP] " if escalated else "") + (
        f"[CẢNH BÁO:{len(firing)}]" if firing else "[ĐÃ KHẮC PHỤC]"
    )
    return {
        "status": status,
        "reason": reason,
        "group": group,
        "title": f"{prefix_en} {subject}",
        "title_vi": f"{prefix_vi} {subject}",
        "alerts": [
            a.body | {"state": a.state, "acknowledged": a.acked, "flapping": a.flapping} for a in alerts
        ],
    }
