"""Dependency suppression: alerts of a device behind a down upstream device are suppressed.

"Down" means an unreachable-kind alert is firing for the device. Upstream comes from inventory
edges (depends_on, hosted_on, connected_to uplinks; see directory.UPSTREAM_KINDS), followed
transitively. The root cause (the upstream device's own alert) is notified as usual.
"""

from __future__ import annotations

from collections.abc import Callable

from eams.alerts.directory import DeviceInfo


class DependencySuppressor:
    def __init__(self, lookup: Callable[[int | None], DeviceInfo]) -> None:
        self.lookup = lookup
        self.down: set[int] = set()

    def mark_down(self, device_id: int | None, down: bool) -> None:
        if device_id is None:
            return
        if down:
            self.down.add(device_id)
        else:
            self.down.discard(device_id)

    def root_cause(self, device_id: int | None) -> DeviceInfo | None:
        """The nearest down device upstream of `device_id` (not itself), if any."""
        if device_id is None or not self.down:
            return None
        seen = {device_id}
        frontier = list(self.lookup(device_id).upstream)
        while frontier:
            next_frontier: list[int] = []
            for upstream_id in frontier:
                if upstream_id in seen:
                    continue
                seen.add(upstream_id)
                if upstream_id in self.down:
                    return self.lookup(upstream_id)
                next_frontier.extend(self.lookup(upstream_id).upstream)
            frontier = next_frontier
        return None
