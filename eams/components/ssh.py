"""The SSH collector: one shared collector (one thread pool) for the API's on-demand backups and
the schedule of backups and Linux polls (`ssh.enabled`, EAMS_SSH_ENABLED)."""

from __future__ import annotations

import asyncio

from collectors.ssh.collector import SshCollector
from collectors.ssh.scheduler import SshSchedule
from eams.services import Services

EXTRAS_KEY = "ssh_collector"


def shared_ssh_collector(services: Services) -> SshCollector:
    """The service's collector, made on first use (by the schedule or an API request)."""
    found = services.extras.get(EXTRAS_KEY)
    if found is None:
        found = SshCollector(services.collector_context, services.settings.ssh)
        services.extras[EXTRAS_KEY] = found
    return found


class SshComponent:
    name = "ssh collector"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.schedule = SshSchedule(
            shared_ssh_collector(services), services.settings.ssh, services.singletons
        )

    async def start(self) -> None:
        await self.schedule.start()

    async def stop(self) -> None:
        await self.schedule.stop()
        # After the jobs ended: wait for device jobs still in threads, so none writes after stop.
        collector = self.services.extras.pop(EXTRAS_KEY, None)
        if collector is not None:
            await asyncio.to_thread(collector.close, True)


def ssh_component(services: Services) -> SshComponent | None:
    return SshComponent(services) if services.settings.ssh.enabled else None
