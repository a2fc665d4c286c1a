"""In the service: marks jobs a previous process left unfinished as interrupted, and stops
running sweeps with the service."""

from __future__ import annotations

import logging

from collectors.discovery.jobs import DiscoveryJobs
from eams.services import Services

log = logging.getLogger(__name__)


class DiscoveryJobsComponent:
    name = "discovery-jobs"

    def __init__(self, services: Services) -> None:
        self.jobs = DiscoveryJobs(services)
        services.extras["discovery_jobs"] = self.jobs

    async def start(self) -> None:
        interrupted = self.jobs.mark_interrupted()
        if interrupted:
            log.warning("%d discovery job(s) were interrupted by the last stop", interrupted)

    async def stop(self) -> None:
        await self.jobs.stop()


def discovery_jobs_component(services: Services) -> DiscoveryJobsComponent:
    return DiscoveryJobsComponent(services)
