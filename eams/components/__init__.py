"""Background parts of the service (sinks, alert engine, in-process collectors, trap receiver ...)
started and stopped with it.

The service wires collectors here, never the reverse: each module of this package builds one
area's component from the `Services` and the settings tree, and registers what the API needs in
`services.extras`. A factory returns a component, or None when the settings turn the area off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from eams.components.alerts import alert_engine_component
from eams.components.audit import audit_retention_component
from eams.components.bus import bus_consumer_component
from eams.components.cluster import cluster_jobs_component
from eams.components.discovery import discovery_jobs_component
from eams.components.loop_watch import loop_watchdog_component
from eams.components.metrics import metric_store_component
from eams.components.remote import collector_watch_component
from eams.components.sinks import influx_sink_component
from eams.components.snmp import snmp_polling_component
from eams.components.ssh import ssh_component
from eams.components.statistics import planner_statistics_component
from eams.components.syslog import syslog_component
from eams.components.traps import trap_receiver_component
from eams.services import Services

log = logging.getLogger(__name__)


class Component(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ComponentFactory = Callable[[Services], "Component | None"]

# Order matters: consumers (sinks, alert engine) before producers (pollers, receivers).
COMPONENT_FACTORIES: list[ComponentFactory] = [
    cluster_jobs_component,  # first: the jobs of every later one claim their locks through it
    planner_statistics_component,  # first: every reader after it gets the planner's statistics
    influx_sink_component,
    metric_store_component,
    alert_engine_component,
    loop_watchdog_component,
    bus_consumer_component,  # after every consumer of the pipeline it feeds
    trap_receiver_component,
    syslog_component,
    snmp_polling_component,
    ssh_component,
    collector_watch_component,
    discovery_jobs_component,
    audit_retention_component,
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
