"""The in-service SNMP collector: polls the inventory's targets and publishes to the pipeline."""

from __future__ import annotations

import asyncio
import logging
import os

from collectors.scheduler import PollScheduler
from collectors.snmp.engines import DEFAULT_ENGINE, make_engine
from collectors.snmp.poller import DeviceStatus, Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from collectors.snmp.status import save_status
from collectors.snmp.targets import load_targets
from eams.services import Services

log = logging.getLogger(__name__)


class SnmpPollingComponent:
    name = "snmp-poller"

    def __init__(self, services: Services, engine: str = DEFAULT_ENGINE, interval_s: float = 60.0) -> None:
        self.services = services
        self.interval_s = interval_s
        poller = Poller(make_engine(engine), ProfileSet.load())
        self.scheduler = PollScheduler(
            poller,
            services.pipeline.publish_samples,
            targets=self._targets,
            status_sink=self._save_status,
            refresh_s=min(60.0, interval_s),
        )
        services.extras["snmp_scheduler"] = self.scheduler

    async def _targets(self) -> list[PollTarget]:
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
    """Runs unless EAMS_SNMP_POLLING=off; with no targets it only re-reads the inventory each minute.
    EAMS_SNMP_INTERVAL_S (default 60) is the poll interval (`eams demo` polls every few seconds)."""
    if os.environ.get("EAMS_SNMP_POLLING", "on").lower() in ("off", "0", "false", "no"):
        return None
    return SnmpPollingComponent(
        services, os.environ.get("EAMS_SNMP_ENGINE", DEFAULT_ENGINE), poll_interval_s()
    )


def poll_interval_s(default: float = 60.0) -> float:
    """EAMS_SNMP_INTERVAL_S; a value that is not a number of seconds >= 1 is logged and ignored."""
    text = os.environ.get("EAMS_SNMP_INTERVAL_S")
    if text is None:
        return default
    try:
        interval_s = float(text)
    except ValueError:
        interval_s = 0.0
    if not interval_s >= 1:  # also catches NaN
        log.error(
            "EAMS_SNMP_INTERVAL_S=%r is not a number of seconds >= 1; polling every %g s", text, default
        )
        return default
    return interval_s
