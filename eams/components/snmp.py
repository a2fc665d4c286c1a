"""The in-service SNMP poller: polls the inventory's targets and publishes to the pipeline; off with
`snmp.polling` (EAMS_SNMP_POLLING=off); `snmp.interval_s` and `snmp.engine` set how.

With several service instances on one database, one of them polls (`services.singletons`, job
`snmp.polling`): the others load no targets and claim again at every refresh (at most a minute),
so when the poller dies another one polls from its next refresh."""

from __future__ import annotations

import asyncio
import logging

from collectors.scheduler import PollScheduler
from collectors.snmp.config import SnmpConfig
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import DeviceStatus, Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from collectors.snmp.status import save_status
from collectors.snmp.targets import load_targets
from eams.services import Services

log = logging.getLogger(__name__)

POLLING_JOB = "snmp.polling"


class SnmpPollingComponent:
    name = "snmp-poller"

    def __init__(self, services: Services, config: SnmpConfig | None = None) -> None:
        self.services = services
        config = config or services.settings.snmp
        self.interval_s = interval_s = config.interval_s
        poller = Poller(make_engine(config.engine), ProfileSet.load())
        self.scheduler = PollScheduler(
            poller,
            services.pipeline.publish_samples,
            targets=self._targets,
            status_sink=self._save_status,
            refresh_s=min(60.0, interval_s),
        )
        services.extras["snmp_scheduler"] = self.scheduler

    async def _targets(self) -> list[PollTarget]:
        if not await self.services.singletons.claim(POLLING_JOB):
            self.services.singletons.skipped[POLLING_JOB] += 1
            return []  # another instance polls the inventory
        self.services.singletons.ran[POLLING_JOB] += 1
        # The database is synchronous: read it off the event loop.
        return await asyncio.to_thread(
            load_targets, self.services.db, self.services.secret_box, interval_s=self.interval_s
        )

    async def _save_status(self, status: DeviceStatus, missed: int) -> None:
        await asyncio.to_thread(save_status, self.services.db, status, missed)

    async def start(self) -> None:
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()


def snmp_polling_component(services: Services) -> SnmpPollingComponent | None:
    """Runs unless polling is off; with no targets it only re-reads the inventory each minute."""
    config = services.settings.snmp
    return SnmpPollingComponent(services, config) if config.polling else None
