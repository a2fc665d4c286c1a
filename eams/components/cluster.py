"""Jobs once per cluster: on PostgreSQL, several `eams serve` may share the database, so the
scheduled jobs that write shared rows or poll devices (SSH backups, prunings, the collectors'
watch, in-process SNMP polling, discovery jobs) claim an advisory lock first
(`eams.cluster.singleton`). First in the start order, so that every component after it finds
`services.singletons`; last to stop, so that the locks are held until every job has ended."""

from __future__ import annotations

from eams.cluster.singleton import AdvisoryLockSingletons
from eams.services import Services


class ClusterJobsComponent:
    name = "cluster jobs"

    def __init__(self, singletons: AdvisoryLockSingletons) -> None:
        self.singletons = singletons

    async def start(self) -> None:
        await self.singletons.start()

    async def stop(self) -> None:
        await self.singletons.stop()  # the session ends: another instance takes the jobs


def cluster_jobs_component(services: Services) -> ClusterJobsComponent | None:
    if services.db.engine.dialect.name != "postgresql":
        return None  # one instance: every job runs here (services.singletons stays RunHere)
    singletons = AdvisoryLockSingletons(services.db.url)
    services.singletons = singletons
    return ClusterJobsComponent(singletons)
