"""Discovery jobs of the API: marks jobs a previous process left unfinished as interrupted, and
stops running sweeps with the service."""

from __future__ import annotations

import asyncio
import logging

from collectors.discovery.jobs import DiscoveryJobs
from eams.services import Services

log = logging.getLogger(__name__)

EXTRAS_KEY = "discovery_jobs"


class DiscoveryJobsComponent:
    name = "discovery-jobs"

    def __init__(self, services: Services) -> None:
        self.jobs = DiscoveryJobs(services.db)
        services.extras[EXTRAS_KEY] = self.jobs

    async def start(self) -> None:
        interrupted = await asyncio.to_thread(self.jobs.mark_interrupted)
        if interrupted:
            log.warning("%d discovery job(s) were interrupted by the last stop", interrupted)

    async def stop(self) -> None:
        await self.jobs.stop()


def discovery_jobs_component(services: Services) -> DiscoveryJobsComponent:
    return DiscoveryJobsComponent(services)
