"""The collector's side of a site lease: whether this collector may poll its site now.

The service decides who serves a site (the heartbeat route): the site's collector keeps it while
its heartbeats arrive; silent for the site lease (EAMS_COLLECTOR_SITE_LEASE), a collector standing
by (`eams collect --standby`) takes it over. Each heartbeat's answer says this collector's role.

A collector that cannot reach the service does not know whether a standby took its site. With no
live standby it keeps polling its current targets (a site cut off from the service still fills its
InfluxDB, as before). With one, it stops polling once `SHARE` of the lease has passed since the
last heartbeat the service answered: the standby cannot take the site before the whole lease has
passed since the service heard that heartbeat, which was sent after the moment measured here, so
the two never poll at the same time. The margin covers polls still in flight at the stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHARE = 0.75  # of the lease: a holder with a live standby stops this long after its last renewal

ACTIVE, STANDBY, NONE = "active", "standby", "none"


@dataclass
class SiteLease:
    role: str | None = None  # None until the service answered once (started while it is down)
    standbys: int = 0
    lease_s: float = 0.0
    renewed_at: float | None = None  # monotonic time the last answered heartbeat was sent
    lapsed: bool = False

    def answered(self, answer: dict[str, Any], sent_at: float) -> bool:
        """A heartbeat sent at `sent_at` (monotonic) was answered; whether the role changed."""
        before = (self.role, self.lapsed)
        self.role = str(answer.get("role") or NONE)
        self.standbys = int(answer.get("standbys") or 0)
        self.lease_s = float(answer.get("site_lease_s") or 0.0)
        self.renewed_at = sent_at
        self.lapsed = False
        return before != (self.role, self.lapsed)

    def stand_down(self) -> bool:
        """The service refused this collector (another serves its site now, or its token): poll
        nothing until a heartbeat is answered. Whether that is news."""
        before = self.role
        self.role = STANDBY
        return before != STANDBY

    def deadline(self) -> float | None:
        """When an unrenewed lease stops this collector's polling (None: it never does)."""
        if self.role != ACTIVE or self.standbys == 0 or self.lease_s <= 0 or self.renewed_at is None:
            return None
        return self.renewed_at + SHARE * self.lease_s

    def check(self, now: float) -> bool:
        """Whether the lease lapsed just now (the caller stops polling)."""
        deadline = self.deadline()
        if self.lapsed or deadline is None or now < deadline:
            return False
        self.lapsed = True
        return True

    @property
    def may_poll(self) -> bool:
        return self.role != STANDBY and not self.lapsed
