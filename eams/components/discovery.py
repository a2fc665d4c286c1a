"""Discovery jobs of the API: marks jobs an instance left unfinished (stopped, killed) as
interrupted, at start and every minute (with several instances, one may die while the others
run), and stops running sweeps with the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from collectors.discovery.jobs import DiscoveryJobs
from eams.services import Services

log = logging.getLogger(__name__)

EXTRAS_KEY = "discovery_jobs"
ORPHANS_EVERY_S = 60.0


class DiscoveryJobsComponent:
    name = "discovery-jobs"

    def __init__(self, services: Services, orphans_every_s: float = ORPHANS_EVERY_S) -> None:
        self.jobs = DiscoveryJobs(services.db, services.singletons)
        self.orphans_every_s = orphans_every_s
        services.extras[EXTRAS_KEY] = self.jobs
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.find_orphans()
        self._task = asyncio.create_task(self._every(), name="discovery-orphans")

    async def find_orphans(self) -> None:
        try:
            interrupted = await self.jobs.mark_interrupted()
        except Exception:  # a busy database: the next round looks again
            log.warning("looking for interrupted discovery jobs failed", exc_info=True)
            return
        if interrupted:
            log.warning("%d discovery job(s) were interrupted by a stopped instance", interrupted)

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self.orphans_every_s)
            await self.find_orphans()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.jobs.stop()


def discovery_jobs_component(services: Services) -> DiscoveryJobsComponent:
    return DiscoveryJobsComponent(services)
