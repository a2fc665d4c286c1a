"""Dispatch: route each alert change into its aggregation groups and turn due groups into outbox
items (notifications, repeats, escalations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from eams.alerts.dispatch.config import RoutingConfig
from eams.alerts.dispatch.groups import AlertSnapshot, Escalated, Group, OutboxItem
from eams.alerts.dispatch.routing import Route, build_routes


class Dispatcher:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.root: Route = build_routes(config.route)
        self.groups: dict[str, Group] = {}
        self._by_alert: dict[str, list[Group]] = {}
        self._dirty: set[str] = set()  # groups changed since the last flush
        self.settled: list[int] = []

    def reconfigure(self, config: RoutingConfig, now: datetime) -> None:
        """New routes: alerts keep their state and are regrouped. What was notified under the old
        routes counts as notified now (repeats continue from here); what was still waiting out a
        group wait stays owed and is sent when that wait ends."""
        snapshots: dict[str, tuple[AlertSnapshot, bool]] = {}
        for group in self.groups.values():
            for fp, snapshot in group.alerts.items():
                notified = fp in group.notified or snapshots.get(fp, (snapshot, False))[1]
                snapshots[fp] = (snapshot, notified)
        self.config = config
        self.root = build_routes(config.route)
        self.groups.clear()
        self._by_alert.clear()
        self._dirty.clear()
        for snapshot, notified in snapshots.values():
            self.restore(snapshot, now, notified=notified)

    def restore(self, snapshot: AlertSnapshot, now: datetime, *, notified: bool) -> None:
        """An alert from before a restart (or a new routing tree) joins its groups; see
        Group.restore for what `notified` changes."""
        for group in self._groups_of(snapshot):
            group.restore(snapshot, now, notified=notified)
            self._dirty.add(f"{group.route.id}|{group.labels}")
        if snapshot.state == "resolved":
            self._by_alert.pop(snapshot.fingerprint, None)

    def _groups_of(self, snapshot: AlertSnapshot) -> list[Group]:
        groups = self._by_alert.get(snapshot.fingerprint)
        if groups is None:
            groups = []
            for route in self.root.match(snapshot.labels):
                group_labels = route.group_labels(snapshot.labels)
                key = f"{route.id}|{group_labels}"
                group = self.groups.get(key)
                if group is None:
                    group = self.groups[key] = Group(route, group_labels)
                groups.append(group)
            self._by_alert[snapshot.fingerprint] = groups
        return groups

    def update(self, snapshot: AlertSnapshot, now: datetime, *, changed: bool = True) -> None:
        for group in self._groups_of(snapshot):
            group.put(snapshot, now, changed=changed)
            self._dirty.add(f"{group.route.id}|{group.labels}")
        if snapshot.state == "resolved":
            self._by_alert.pop(snapshot.fingerprint, None)

    def forget(self, moved: Callable[[AlertSnapshot], bool]) -> None:
        """Another service instance owns these alerts now: they leave their groups unnotified (the
        new owner restores them, with what was notified, from the database)."""
        for key, group in list(self.groups.items()):
            for fingerprint in [fp for fp, snapshot in group.alerts.items() if moved(snapshot)]:
                del group.alerts[fingerprint]
                group.notified.discard(fingerprint)
                self._by_alert.pop(fingerprint, None)
            if not group.alerts:
                del self.groups[key]
                self._dirty.discard(key)

    def redo(self, now: datetime) -> None:
        """The items of the last flush were not stored: flush every group again (same content
        gives the same outbox key, so nothing is queued twice)."""
        for key, group in self.groups.items():
            group.last_signature = None
            if group.next_flush is None:
                group.next_flush = now
            self._dirty.add(key)

    def flush(self, now: datetime, *, everything: bool = True) -> tuple[list[OutboxItem], list[Escalated]]:
        """Turn due groups into outbox items. Between ticks only changed groups can be due, so
        sample batches pass `everything=False`; ticks check every group (repeats, escalation).
        Resolved alerts the groups are done with are collected in `settled` (see take_settled)."""
        items: list[OutboxItem] = []
        escalated: list[Escalated] = []
        keys = list(self.groups) if everything else [k for k in self._dirty if k in self.groups]
        self._dirty.clear()
        for key in keys:
            group = self.groups[key]
            item = group.flush(now)
            if item is not None:
                items.append(item)
            for escalation_item, done in group.escalations(now):
                items.append(escalation_item)
                escalated.append(done)
            self.settled.extend(group.settled)
            group.settled.clear()
            if not group.alerts and group.next_flush is None:
                del self.groups[key]
        return items, escalated

    def take_settled(self) -> list[int]:
        """Alert ids whose resolution no group owes any more (since the last call)."""
        settled, self.settled = self.settled, []
        return settled
