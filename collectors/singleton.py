"""Jobs that must run once across service instances (a backup round, a pruning, a watch).

Several `eams serve` may share one database. A job that writes shared rows or polls devices must
then run on one of them only: before each run it `claim`s its name, and skips the run (counted,
not queued) while another instance holds it. The service provides the PostgreSQL implementation
(`eams.cluster.singleton`: an advisory lock held by the instance that first ran the job, freed
when that instance stops or dies); `RunHere`, for one process alone (SQLite, a collector, a test),
grants every claim.

Collectors take a `Singletons` from whoever wires them, never build the PostgreSQL one themselves.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Singletons(Protocol):
    ran: Counter[str]  # runs this instance made, by job name
    skipped: Counter[str]  # runs skipped because another instance holds the job

    async def claim(self, name: str) -> bool:
        """Take (or keep) job `name` for this instance; False while another instance holds it."""
        ...

    async def release(self, name: str) -> None:
        """Give job `name` up (a job that ended for good, e.g. one discovery sweep)."""
        ...

    def holds(self, name: str) -> bool:
        """Whether this instance runs job `name` now (claimed and not lost), without claiming."""
        ...


class RunHere:
    """Every claim granted: this process is the only one (SQLite, a collector, a test)."""

    def __init__(self) -> None:
        self.ran: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    async def claim(self, name: str) -> bool:
        return True

    async def release(self, name: str) -> None:
        return None

    def holds(self, name: str) -> bool:
        return True


async def run_once(singletons: Singletons, name: str, job: Callable[[], Awaitable[object]]) -> bool:
    """Run `job` if this instance holds `name` (claiming it if free); True when it ran."""
    if not await singletons.claim(name):
        singletons.skipped[name] += 1
        log.debug("job %s runs on another instance: skipped here", name)
        return False
    singletons.ran[name] += 1
    await job()
    return True
