"""Background parts of the service (alert engine, scheduler and in-process collectors, trap
receiver ...) started and stopped with it.

Each area contributes a factory to `COMPONENT_FACTORIES`; a factory gets the `Services` and
returns a component, or None when it has nothing to run with the current settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from collectors.discovery.component import discovery_jobs_component
from collectors.remote.watch import collector_watch_component
from collectors.sinks.component import influx_sink_component
from collectors.snmp.component import snmp_polling_component
from collectors.ssh.scheduler import ssh_component
from collectors.traps.component import trap_receiver_component
from eams.alerts.component import alert_engine_factory
from eams.services import Services
from eams.syslog_wiring import syslog_component

log = logging.getLogger(__name__)


class Component(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ComponentFactory = Callable[[Services], "Component | None"]

# Order matters: consumers (sinks, alert engine) before producers (pollers, receivers).
COMPONENT_FACTORIES: list[ComponentFactory] = [
    influx_sink_component,
    alert_engine_factory,
    trap_receiver_component,
    syslog_component,
    snmp_polling_component,
    ssh_component,
    collector_watch_component,
    discovery_jobs_component,
]


class Components:
    def __init__(self, services: Services, factories: list[ComponentFactory] | None = None) -> None:
        self.services = services
        self.factories = COMPONENT_FACTORIES if factories is None else factories
        self.running: list[Component] = []

    async def start(self) -> None:
        """Start every component; if one fails, stop those already running (the sink flushes what it
        holds) before the error goes up, so a failed start loses nothing."""
        try:
            for factory in self.factories:
                component = factory(self.services)
                if component is None:
                    continue
                await component.start()
                self.running.append(component)
                log.info("started %s", component.name)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        # Producers stop first so that consumers can drain what is already in flight.
        for component in reversed(self.running):
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        self.running.clear()
