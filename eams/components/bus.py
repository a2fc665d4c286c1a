"""The NATS JetStream bus feeding the service's pipeline (`bus.enabled`): what collectors publish
reaches the same sinks and alert engine as in-process samples (collectors/bus/README.md).

On PostgreSQL (and `bus.leadership`, the default) several `eams serve` instances may run: each
consumes only the partitions it leads (`eams.cluster.leadership`), so one device's samples meet
one alert engine; when an instance dies another takes its partitions over. On SQLite there is
one instance, and it consumes every partition.

Discovered facts that collectors publish (`eams.facts.<p>`) are staged in the inventory (the
discovered-facts review) by the instance leading their partition, in one transaction per message,
which is acknowledged after the commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from collectors.bus.consumer import BusConsumer, StageFacts
from collectors.bus.settle import Settle
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.sinks.store.sink import MetricStoreSink
from eams.alerts.engine import AlertEngine
from eams.cluster.leadership import PartitionLeadership, supports_leadership
from eams.components.sinks import EXTRAS_KEY as INFLUX_SINK_KEY
from eams.metrics.wiring import STORE_KEY
from eams.services import Services
from inventory.db import Database
from inventory.discovery import Observation, stage_observation

FACTS_ACTOR = "collector:bus"

log = logging.getLogger(__name__)

EXTRAS_KEY = "bus"


class BusComponent:
    name = "bus"

    def __init__(self, consumer: BusConsumer, leadership: PartitionLeadership | None) -> None:
        self.consumer = consumer
        self.leadership = leadership

    async def start(self) -> None:
        await self.consumer.start()
        if self.leadership is not None:
            await self.leadership.start()

    async def stop(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()  # gives the partitions up: another instance takes them
        await self.consumer.stop()

    @property
    def partitions(self) -> list[int]:
        return list(self.consumer.partitions)


async def hand_to_engine(engine: AlertEngine, held: frozenset[int]) -> None:
    try:
        await engine.lead(held)
    except Exception:  # the leadership loop goes on; the engine retries its restores at its tick
        log.exception("handing bus partitions %s to the alert engine failed", sorted(held))


def bus_consumer_component(services: Services) -> BusComponent | None:
    config = services.settings.bus
    if not config.enabled:
        return None
    database_url = services.db.url
    led = config.leadership and supports_leadership(database_url)
    every: Iterable[int] = () if led else range(config.partitions)
    consumer = BusConsumer(
        config,
        services.pipeline.publish_samples,
        services.pipeline.publish_event,
        partitions=every,
        stage_facts=fact_stager(services.db),
        settle=sinks_settled(services),
    )
    leadership = None
    if led:

        async def lead(held: frozenset[int]) -> None:
            engine = services.extras.get("alerts")
            ownership = engine.ownership if isinstance(engine, AlertEngine) else None
            # The engine takes the partitions gained before their first batch can arrive (their
            # alerts restored first), and gives up those lost only after the consumer handed the
            # last batch of them over: no batch meets an engine that does not own its devices.
            if isinstance(engine, AlertEngine) and ownership is not None:
                await hand_to_engine(engine, ownership.held | held)
            await consumer.set_partitions(held)
            if isinstance(engine, AlertEngine) and ownership is not None:
                await hand_to_engine(engine, held)

        leadership = PartitionLeadership(
            database_url,
            config.partitions,
            lead,
            interval_s=config.leadership_interval_s,
            max_partitions=config.max_partitions,
        )
    component = BusComponent(consumer, leadership)
    services.extras[EXTRAS_KEY] = component
    return component


def sinks_settled(services: Services) -> Settle:
    """What the consumer awaits before it acknowledges a fetch: the InfluxDB sink has written or
    spooled its samples and the metrics store has written them. Acknowledged earlier, a service
    killed with samples still in a sink's memory lost them for good (the bus forgot them); now
    the next leader is given them again, and the sinks keep one point per series and time."""

    async def settle() -> None:
        influx = services.extras.get(INFLUX_SINK_KEY)
        if isinstance(influx, SpoolingInfluxSink):
            await influx.flush()
        store = services.extras.get(STORE_KEY)
        if isinstance(store, MetricStoreSink):
            await store.flush()

    return settle


def fact_stager(db: Database) -> StageFacts:
    """Stages a message's observations in one transaction, off the event loop; returns after the
    commit (the consumer acknowledges then)."""

    def stage(observations: list[Observation]) -> None:
        with db.session(actor=FACTS_ACTOR) as session:
            for observation in observations:
                stage_observation(session, observation)

    async def stage_facts(observations: list[Observation]) -> None:
        await asyncio.to_thread(stage, observations)

    return stage_facts
