"""Dependency suppression: alerts of a device behind a down upstream device are suppressed.

"Down" means an unreachable-kind alert is firing for the device. Upstream comes from inventory
edges (depends_on and hosted_on; see directory.UPSTREAM_KINDS), followed up through devices that
are down themselves. The root cause (the top device's own alert) is notified as usual. When the
chain loops back (a misrecorded dependency loop), the loop itself is the root: its members do not
suppress each other. With several instances, the upstream device may be another instance's: its
unreachable alert, firing in the shared database, counts the same (`down_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from eams.alerts.directory import DeviceInfo


class DependencySuppressor:
    def __init__(self, lookup: Callable[[int | None], DeviceInfo]) -> None:
        self.lookup = lookup
        self.down: set[int] = set()
        # With several instances: devices down whose alerts another instance owns (their bus
        # partition is led elsewhere), read from the database every few seconds. A core switch
        # on one partition then suppresses the access switches behind it on another.
        self.down_elsewhere: frozenset[int] = frozenset()

    def set_down_elsewhere(self, device_ids: Iterable[int]) -> bool:
        """Whether the down devices other instances own changed."""
        found = frozenset(device_ids)
        changed = found != self.down_elsewhere
        self.down_elsewhere = found
        return changed

    def is_down(self, device_id: int) -> bool:
        return device_id in self.down or device_id in self.down_elsewhere

    def mark_down(self, device_id: int | None, down: bool) -> None:
        if device_id is None:
            return
        if down:
            self.down.add(device_id)
        else:
            self.down.discard(device_id)

    def root_cause(self, device_id: int | None) -> DeviceInfo | None:
        """The device at the top of the chain of down devices above `device_id` (not itself).

        Only a down direct upstream suppresses: if the access switch between a server and a down
        core switch still answers, the core does not explain the server's silence. Behind a down
        core, a down access switch is itself a symptom, so the chain is followed to its top.
        """
        if device_id is None or not (self.down or self.down_elsewhere):
            return None
        path = [device_id]
        while True:
            upstreams = [u for u in self.lookup(path[-1]).upstream if self.is_down(u)]
            upstream = next((u for u in upstreams if u not in path), None)
            if upstream is None:
                looped = next((u for u in upstreams if u in path), None)
                if looped is None:  # the top of the chain
                    return self.lookup(path[-1]) if len(path) > 1 else None
                # The chain came back to itself: the loop is the root. Its members are not each
                # other's cause; a device below the loop is suppressed by where it entered it.
                start = path.index(looped)
                return None if start == 0 else self.lookup(path[start])
            path.append(upstream)
