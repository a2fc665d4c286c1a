"""Runs the SSH collector in the background of the service: configuration backups (with facts)
every `EAMS_SSH_BACKUP_INTERVAL_S`, Linux metrics every `EAMS_SSH_METRICS_INTERVAL_S`."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collectors.ssh.collector import SshCollector, Want, collector_of
from collectors.ssh.settings import SshSettings
from eams.services import Services

log = logging.getLogger(__name__)


class SshSchedule:
    name = "ssh collector"

    def __init__(self, services: Services, settings: SshSettings) -> None:
        self.services = services
        self.settings = settings
        self.scheduler = AsyncIOScheduler(timezone="UTC")

    @property
    def collector(self) -> SshCollector:
        return collector_of(self.services)

    async def backup_all(self) -> None:
        targets, problems = self.collector.targets()
        outcomes = await self.collector.run(targets, Want(backup=True, facts=True))
        failed = sum(1 for outcome in outcomes if not outcome.ok)
        log.info("ssh backup: %d devices, %d failed, %d not configured", len(outcomes), failed, len(problems))

    async def poll_linux(self) -> None:
        targets, _ = self.collector.targets(platforms=["linux"])
        await self.collector.run(targets, Want(metrics=True))

    async def start(self) -> None:
        # max_instances=1: a slow run is never overlapped by the next one; coalesce skips backlog.
        common = {"max_instances": 1, "coalesce": True}
        self.scheduler.add_job(
            self.backup_all, "interval", seconds=self.settings.backup_interval_s, id="ssh-backup", **common
        )
        self.scheduler.add_job(
            self.poll_linux, "interval", seconds=self.settings.metrics_interval_s, id="ssh-linux", **common
        )
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        collector = self.services.extras.pop("ssh_collector", None)
        if collector is not None:
            collector.close()


def ssh_component(services: Services) -> SshSchedule | None:
    settings = SshSettings()
    return SshSchedule(services, settings) if settings.enabled else None
