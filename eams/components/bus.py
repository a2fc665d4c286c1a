"""The NATS JetStream bus feeding the service's pipeline (`bus.enabled`): what collectors publish
reaches the same sinks and alert engine as in-process samples (collectors/bus/README.md).

On PostgreSQL (and `bus.leadership`, the default) several `eams serve` instances may run: each
consumes only the partitions it leads (`eams.cluster.leadership`), so one device's samples meet
one alert engine; when an instance dies another takes its partitions over. On SQLite there is
one instance, and it consumes every partition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from collectors.bus.consumer import BusConsumer
from eams.alerts.engine import AlertEngine
from eams.cluster.leadership import PartitionLeadership, supports_leadership
from eams.services import Services

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


def bus_consumer_component(services: Services) -> BusComponent | None:
    config = services.settings.bus
    if not config.enabled:
        return None
    database_url = services.db.url
    led = config.leadership and supports_leadership(database_url)
    every: Iterable[int] = () if led else range(config.partitions)
    consumer = BusConsumer(
        config, services.pipeline.publish_samples, services.pipeline.publish_event, partitions=every
    )
    leadership = None
    if led:

        async def lead(held: frozenset[int]) -> None:
            await consumer.set_partitions(held)
            # Then the engine: a partition given up has handed its last batch over by now, so
            # nothing of it reaches the engine after it forgot the partition's alerts.
            engine = services.extras.get("alerts")
            if isinstance(engine, AlertEngine) and engine.ownership is not None:
                try:
                    await engine.lead(held)
                except Exception:  # the leadership loop goes on; the engine retries its restore
                    log.exception("handing bus partitions %s to the alert engine failed", sorted(held))

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
