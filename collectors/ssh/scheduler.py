"""Runs the SSH collector in the background: configuration backups (with facts) every
`ssh.backup_interval_s`, Linux metrics every `ssh.metrics_interval_s` (EAMS_SSH_* settings).

With several service instances on one database each round runs on one of them (`singletons`):
two instances would back every device up twice and write its Linux samples twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collectors.singleton import RunHere, Singletons, run_once
from collectors.ssh.collector import SshCollector, Want
from collectors.ssh.config import SshConfig

log = logging.getLogger(__name__)


class SshSchedule:
    name = "ssh collector"

    # Job names across instances.
    BACKUP_JOB = "ssh.backup"
    LINUX_JOB = "ssh.linux-metrics"

    def __init__(
        self, collector: SshCollector, settings: SshConfig, singletons: Singletons | None = None
    ) -> None:
        self.collector = collector
        self.settings = settings
        self.singletons = singletons or RunHere()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()

    async def backup_all(self) -> None:
        targets, problems = self.collector.targets()
        outcomes = await self.collector.run(targets, Want(backup=True, facts=True))
        failed = sum(1 for outcome in outcomes if not outcome.ok)
        log.info("ssh backup: %d devices, %d failed, %d not configured", len(outcomes), failed, len(problems))

    async def poll_linux(self) -> None:
        targets, _ = self.collector.targets(platforms=["linux"])
        await self.collector.run(targets, Want(metrics=True))

    async def _tracked(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Runs a scheduled job if this instance runs `name`, remembered so that stop() can end
        it before the sink stops."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        await run_once(self.singletons, name, job)

    async def start(self) -> None:
        # max_instances=1: a slow run is never overlapped by the next one; coalesce skips backlog.
        common = {"max_instances": 1, "coalesce": True}
        self.scheduler.add_job(
            self._tracked,
            "interval",
            args=[self.BACKUP_JOB, self.backup_all],
            seconds=self.settings.backup_interval_s,
            id="ssh-backup",
            **common,
        )
        self.scheduler.add_job(
            self._tracked,
            "interval",
            args=[self.LINUX_JOB, self.poll_linux],
            seconds=self.settings.metrics_interval_s,
            id="ssh-linux",
            **common,
        )
        self.scheduler.start()

    async def stop(self) -> None:
        # shutdown() only asks running jobs to cancel; a job still finishing could publish after
        # the InfluxDB sink has stopped. So cancel them and wait until they have ended.
        self.scheduler.shutdown(wait=False)
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
