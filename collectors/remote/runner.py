"""One `eams collect` process: targets from the service, polls, InfluxDB, and the uplink.

    service API --targets--> PollScheduler --samples--> Pipeline --> SpoolingInfluxSink -> InfluxDB
                                                                 \\-> Uplink (spool) -> service API

With a bus (`eams collect --bus nats://...`) every sample and event goes to NATS JetStream
instead (`BusPublisher`, its own spool), and the service instances write InfluxDB and feed the
alert engine from there; the API keeps targets, heartbeats and syslog. With the bus the collector
also reads its devices' facts every `facts_every_s` (`collectors.remote.facts`) and publishes
them for the inventory's review.

Targets are refreshed every `refresh_s`; a failed fetch keeps the current ones, and at start-up
falls back to the targets cached on disk by the last successful fetch. A heartbeat reports the
collector's health (targets, lag, spool sizes, version) every `heartbeat_s`, and its answer says
whether this collector serves its site or stands by for it (`collectors.remote.lease`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.bus.config import BusConfig
from collectors.bus.publisher import BusPublisher
from collectors.pipeline import Pipeline
from collectors.remote.cache import TargetCache
from collectors.remote.client import ServiceClient, ServiceRefused, ServiceUnavailable
from collectors.remote.facts import DEFAULT_FACTS_EVERY_S, observations, read_reports
from collectors.remote.lease import SHARE, SiteLease
from collectors.remote.uplink import Uplink
from collectors.remote.watch import EVENT_KIND
from collectors.remote.wire import target_from_json
from collectors.samples import Event, Severity
from collectors.scheduler import PollScheduler
from collectors.sinks.config import InfluxConfig, build_influx_sink
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.sinks.spool import Spool
from collectors.snmp.engines import DEFAULT_ENGINE, make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from collectors.syslog.component import SyslogComponent
from collectors.syslog.config import SyslogConfig
from collectors.syslog.listeners import ListenError
from collectors.syslog.resolver import DeviceResolver, KnownDevice, canonical

log = logging.getLogger(__name__)

LEASE_CHECK_S = 1.0


class CollectorRefused(Exception):
    """The service refuses this collector (token, name or site): the operator must act."""


@dataclass(frozen=True)
class CollectorConfig:
    server: str
    token: str
    name: str
    site: str | None = None
    refresh_s: float = 60.0
    heartbeat_s: float = 15.0
    interval_s: float | None = None  # overrides the poll interval the service sends
    engine: str = DEFAULT_ENGINE
    drain_timeout_s: float = 5.0
    facts_every_s: float = DEFAULT_FACTS_EVERY_S  # with the bus; 0: no facts
    standby: bool = False  # stand by for `site` while another collector serves it


@dataclass(frozen=True)
class CollectorRuntime:
    """Where a collector process keeps its state and writes its metrics (from the settings tree)."""

    data_dir: Path
    spool_max_bytes: int
    influx: InfluxConfig = field(default_factory=InfluxConfig)
    version: str = "unknown"  # reported in heartbeats
    syslog: SyslogConfig = field(default_factory=SyslogConfig)  # syslog at the site: off unless listen
    bus: BusConfig | None = None  # samples and events to NATS JetStream instead of InfluxDB + uplink

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"


class RemoteCollector:
    def __init__(self, config: CollectorConfig, runtime: CollectorRuntime) -> None:
        self.config = config
        self.runtime = runtime
        runtime.data_dir.mkdir(parents=True, exist_ok=True)
        self.client = ServiceClient(config.server, config.token, config.name)
        self.cache = TargetCache(runtime.data_dir / "collector-targets.json")
        self.stats_path = runtime.data_dir / "collector-stats.json"
        self.pipeline = Pipeline()
        self.influx: SpoolingInfluxSink = build_influx_sink(
            runtime.influx, runtime.spool_dir, runtime.spool_max_bytes
        )
        self.uplink = Uplink(
            Spool(runtime.spool_dir / "uplink", max_bytes=runtime.spool_max_bytes), self.client
        )
        self.bus: BusPublisher | None = None
        if runtime.bus is not None:
            # The service instances write what the bus carries to InfluxDB: written here too, it
            # would be written twice.
            self.bus = BusPublisher(
                runtime.bus,
                Spool(runtime.spool_dir / "bus", max_bytes=runtime.spool_max_bytes),
                source=config.name,
            )
            self.pipeline.add_sample_consumer(self.bus)
            self.pipeline.add_event_consumer(self.bus)
        else:
            self.pipeline.add_sample_consumer(self.influx)
            self.pipeline.add_sample_consumer(self.uplink)
            self.pipeline.add_event_consumer(self.uplink)
        self.profiles = ProfileSet.load()
        self.scheduler = PollScheduler(
            Poller(make_engine(config.engine), self.profiles),
            self.pipeline.publish_samples,
            targets=self._targets,
            refresh_s=config.refresh_s,
        )
        self.registered = False
        self.lease = SiteLease()
        # Syslog at the site (EAMS_SYSLOG_LISTEN on the collector): parsed and turned into events
        # here, stored by the service through the uplink; senders known by the targets' addresses.
        self.syslog_devices = DeviceResolver(None)
        self.syslog: SyslogComponent | None = None
        if runtime.syslog.enabled:
            self.syslog = SyslogComponent(
                runtime.syslog,
                self.pipeline,
                forward=self.uplink.consume_syslog,
                resolver=self.syslog_devices,
            )

    # --- targets ----------------------------------------------------------------------------------

    def _apply(self, document: dict[str, Any]) -> list[PollTarget]:
        measurements = document.get("measurements")
        self.uplink.measurements = set(measurements) if measurements is not None else None
        targets = [target_from_json(t) for t in document.get("targets", [])]
        self.syslog_devices.load(
            {
                canonical(t.endpoint.host): KnownDevice(t.device_id, t.name)
                for t in targets
                if t.device_id is not None and canonical(t.endpoint.host)
            },
            names={
                t.name.lower(): KnownDevice(t.device_id, t.name) for t in targets if t.device_id is not None
            },
        )
        if self.config.interval_s is not None:
            targets = [dataclasses.replace(t, interval_s=self.config.interval_s) for t in targets]
        return targets

    async def _targets(self) -> list[PollTarget]:
        if not self.lease.may_poll:
            return []  # standing by, or the lease lapsed while a standby waits
        try:
            if not self.registered:  # started while the service was down
                try:
                    await self.register()
                except CollectorRefused as refused:  # e.g. its site taken over meanwhile
                    log.error("%s; polling stopped", refused)
                    self.lease.stand_down()
                    return []
                if not self.lease.may_poll:
                    return []
            document = await self.client.targets()
        except (ServiceUnavailable, ServiceRefused) as error:
            if self.scheduler.devices:
                log.warning("fetching targets failed (%s); polling the current ones", error)
                return [s.target for s in self.scheduler.devices.values()]
            cached = await asyncio.to_thread(self.cache.load)
            if cached is None:
                log.warning("fetching targets failed (%s) and none are cached yet", error)
                return []
            log.warning(
                "fetching targets failed (%s); polling the %d cached ones", error, len(cached["targets"])
            )
            return self._apply(cached)
        await asyncio.to_thread(self.cache.save, document)
        return self._apply(document)

    # --- facts ------------------------------------------------------------------------------------

    async def read_facts(self) -> int:
        """Read every current target and publish what answered as facts; how many answered."""
        assert self.bus is not None
        targets = [schedule.target for schedule in self.scheduler.devices.values()]
        engine = make_engine(self.config.engine)
        try:
            answered = await read_reports(engine, targets, self.profiles)
        finally:
            await engine.close()
        found = observations(answered)
        await self.bus.consume_facts(found)
        log.info("facts: %d of %d devices answered", len(found), len(targets))
        return len(found)

    async def _facts_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.facts_every_s)
            try:
                await self.read_facts()
            except Exception:
                log.exception("reading the devices' facts failed")

    # --- heartbeat --------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        uplink = self.uplink.spool.state()
        batches, size = uplink.pending_batches, uplink.pending_bytes
        if self.bus is not None:  # the service shows what waits for the bus as backlog too
            bus = self.bus.spool.state()
            batches, size = batches + bus.pending_batches, size + bus.pending_bytes
        return {
            "site": self.config.site,
            "version": self.runtime.version,
            "targets": len(self.scheduler.devices),
            "lag_s": round(self.uplink.lag_s(), 3),
            "spool_batches": batches,
            "spool_bytes": size,
            "influx_spool_batches": self.influx.state().spooled_batches,
            "standby": self.config.standby,
        }

    async def register(self) -> bool:
        """Register (or heartbeat); whether this collector's role changed (active, standby, the
        lease lapsed or renewed). A 4xx is the operator's to fix: raise CollectorRefused; once
        registered, a 409 means another collector took the site over: this one stands down."""
        sent_at = time.monotonic()
        try:
            answer = await self.client.heartbeat(self.health())
        except ServiceRefused as refused:
            if refused.status == 409 and self.registered and self.config.site is not None:
                if self.lease.stand_down():
                    log.error("%s; polling stopped", refused.message)
                    return True
                return False
            raise CollectorRefused(self._explain(refused)) from None
        self.registered = True
        changed = self.lease.answered(answer, sent_at)
        if changed:
            log.info(
                "collector %s: %s%s",
                self.config.name,
                self.lease.role,
                f" for site {answer.get('standby_for')}" if self.lease.role == "standby" else "",
            )
        return changed

    def _explain(self, refused: ServiceRefused) -> str:
        server = self.config.server
        if refused.status == 401:
            return f"the service at {server} does not accept the token: {refused.message}"
        if refused.status == 403:
            return f"the token may not act as collector {self.config.name!r} at {server}: {refused.message}"
        if refused.status == 404:
            return f"{server} does not look like an eams service (404 on the collectors API)"
        return f"the service at {server} refused collector {self.config.name!r}: {refused.message}"

    async def _heartbeat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            # The local view of the same health, readable while the service is down.
            self.write_stats()  # on the loop: it reads the sink's state, which is not thread-safe
            try:
                if await self.register():
                    await self.scheduler.refresh()  # poll the site now, or stop now
            except ServiceUnavailable as error:
                log.warning("heartbeat failed: %s", error)
            except CollectorRefused as error:
                log.error("heartbeat refused: %s", error)

    async def _watch_lease(self) -> None:
        """Stops polling when the lease lapses (see collectors.remote.lease): checked every
        second, not at heartbeats, which a slow service can delay by a request timeout."""
        while True:
            await asyncio.sleep(LEASE_CHECK_S)
            if self.lease.check(time.monotonic()):
                log.warning(
                    "the service has not answered for %.0f s and a collector stands by for site %s: "
                    "polling stopped until the service answers",
                    SHARE * self.lease.lease_s,
                    self.config.site,
                )
                self.scheduler.sync([])

    # --- life cycle -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; then stop polling and flush InfluxDB and the uplink."""
        try:
            await self.register()
        except ServiceUnavailable as error:
            log.warning("the service is not reachable (%s); starting with cached targets", error)
        await self.influx.start()
        await self.uplink.start()
        if self.bus is not None:
            await self.bus.start()
        if self.syslog is not None:
            try:
                await self.syslog.start()
            except ListenError as error:
                await self.uplink.stop(self.config.drain_timeout_s)
                await self.influx.stop()
                raise CollectorRefused(str(error)) from None
        await self.scheduler.start()
        await self.pipeline.publish_event(self._event("started", f"collector {self.config.name} started"))
        background = [asyncio.create_task(task) for task in (self._heartbeat_forever(), self._watch_lease())]
        if self.bus is not None and self.config.facts_every_s > 0:
            background.append(asyncio.create_task(self._facts_forever()))
        try:
            await stop.wait()
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.scheduler.stop()
            if self.syslog is not None:
                await self.syslog.stop()
            await self.pipeline.publish_event(
                self._event("stopped", f"collector {self.config.name} stopping")
            )
            if self.bus is not None:
                await self.bus.stop(self.config.drain_timeout_s)
            await self.influx.stop()
            await self.uplink.stop(self.config.drain_timeout_s)
            with contextlib.suppress(ServiceUnavailable, CollectorRefused):
                await self.register()  # the last health: spool sizes after the flush
            await self.client.close()
            self.write_stats()

    def _event(self, name: str, message: str) -> Event:
        return Event(
            kind=EVENT_KIND,
            name=name,
            severity=Severity.info,
            message=message,
            source=f"collector:{self.config.name}",
            labels={"collector": self.config.name},
        )

    def write_stats(self) -> dict[str, Any]:
        stats = dataclasses.asdict(self.uplink.stats) | {
            "pending_batches": len(self.uplink.spool),
            "influx": self.influx.state().as_dict(),
        }
        if self.bus is not None:
            stats["bus"] = dataclasses.asdict(self.bus.stats) | {"pending_batches": self.bus.pending()}
        write_json(self.stats_path, stats)
        return stats


def write_json(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, default=str, indent=1), encoding="utf-8")
    temporary.replace(path)
