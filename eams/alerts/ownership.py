"""Which alerts this engine owns when several `eams serve` instances share one database.

One device's alerts belong to the leader of its bus partition: the partition of the key the bus
publisher files the device's samples under (`collectors.bus.publisher.device_key`: its id), so the
engine that evaluates a device's samples is also the one that restores its alerts, runs its
periodic checks (stale, absence, unreachable, inventory) and forgets them when the partition moves.

Alerts without a device (event-loop-lagging, notification-refused, failed sign-ins,
collector-silent, a sender outside the inventory) are evaluated where their event arrives. Most
are an instance's facts about itself (its own event loop, the notifications only the delivering
instance sends, the sign-ins it answers): no other instance sees them, so sending them to a
partition's leader would only add a hop that can fail. A sender outside the inventory comes on
the bus to its partition's leader like any device. What survives of them in the database after a
restart or a takeover is restored by the leader of partition 0 (`SERVICE_PARTITION`): one owner,
picked by a rule every instance computes alike, with no extra lock or election. (collector-silent
and its resolution are both said by the instance that runs the collectors' watch.)

Without the bus's leadership (SQLite, bus off, `bus.leadership` false) the engine has no
ownership at all and owns everything, as a single instance does.
"""

from __future__ import annotations

from collectors.bus.publisher import device_key
from collectors.bus.subjects import partition_of

SERVICE_PARTITION = 0


class PartitionOwnership:
    """The partitions this instance leads, and the partition of each device (cached: the engine
    asks for every sample)."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.held: frozenset[int] = frozenset()
        self._partition_of: dict[int, int] = {}

    def partition(self, device_id: int | None) -> int:
        if device_id is None:
            return SERVICE_PARTITION
        found = self._partition_of.get(device_id)
        if found is None:
            found = self._partition_of[device_id] = partition_of(device_key(device_id, None), self.partitions)
        return found

    def owns(self, device_id: int | None) -> bool:
        """Whether this device's alerts are evaluated here (`None`: the device-less alerts' restore)."""
        return self.partition(device_id) in self.held
