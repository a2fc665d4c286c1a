"""Fans samples and events out to every registered consumer (sinks, alert engine ...).

A failing consumer never stops the others: its error is logged and counted, and durability is the
consumer's own job (the InfluxDB sink spools, the alert engine keeps state in the database).
"""

from __future__ import annotations

import logging

from collectors.samples import Event, EventConsumer, Sample, SampleConsumer

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(self) -> None:
        self._sample_consumers: list[SampleConsumer] = []
        self._event_consumers: list[EventConsumer] = []
        self.errors = 0

    def add_sample_consumer(self, consumer: SampleConsumer) -> None:
        self._sample_consumers.append(consumer)

    def add_event_consumer(self, consumer: EventConsumer) -> None:
        self._event_consumers.append(consumer)

    async def publish_samples(self, samples: list[Sample]) -> None:
        if not samples:
            return
        for consumer in self._sample_consumers:
            try:
                await consumer.consume_samples(samples)
            except Exception:
                self.errors += 1
                log.exception("sample consumer %r failed", consumer)

    async def publish_event(self, event: Event) -> None:
        for consumer in self._event_consumers:
            try:
                await consumer.consume_event(event)
            except Exception:
                self.errors += 1
                log.exception("event consumer %r failed", consumer)
