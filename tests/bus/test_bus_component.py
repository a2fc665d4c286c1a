"""The service's bus component: off by default; on, it feeds what collectors publish into the
service's own pipeline (a real nats-server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collectors.bus.publisher import BusPublisher
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool
from eams.components import COMPONENT_FACTORIES
from eams.components.bus import EXTRAS_KEY, bus_consumer_component
from eams.services import Services
from eams.settings import Settings
from tests.support.nats import NatsServer

pytestmark = pytest.mark.peer("nats-server")


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    async def consume_event(self, event: Event) -> None:
        return None


def test_the_bus_is_off_by_default(services: Services) -> None:
    assert bus_consumer_component(services) is None
    assert bus_consumer_component in COMPONENT_FACTORIES


def test_bus_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_BUS_ENABLED", "true")
    monkeypatch.setenv("EAMS_BUS_URL", "nats://10.0.0.5:4222,nats://10.0.0.6:4222")
    monkeypatch.setenv("EAMS_BUS_PARTITIONS", "32")
    monkeypatch.setenv("EAMS_BUS_DUPLICATE_WINDOW_S", "120")
    bus = Settings().bus
    assert bus.enabled and bus.partitions == 32 and bus.duplicate_window_s == 120
    assert bus.servers() == ["nats://10.0.0.5:4222", "nats://10.0.0.6:4222"]


async def test_published_samples_reach_the_service_pipeline(
    services: Services, nats: NatsServer, tmp_path: Path
) -> None:
    services.settings.bus = services.settings.bus.model_copy(
        update={
            "enabled": True,
            "url": nats.url,
            "stream": nats.stream,
            "subject_prefix": nats.stream.lower(),
        }
    )
    recorder = Recorder()
    services.pipeline.add_sample_consumer(recorder)
    consumer = bus_consumer_component(services)
    assert consumer is not None and services.extras[EXTRAS_KEY] is consumer
    publisher = BusPublisher(services.settings.bus, Spool(tmp_path / "spool", fsync=False), source="da")
    await consumer.start()
    try:
        await consumer.wait_ready()
        sample = Sample("collector", {"device": "sw-1"}, {"reachable": True}, device_id=7)
        await publisher.consume_samples([sample])
        await publisher.seal()
        assert await publisher.publish_one()
        async with asyncio.timeout(30):
            while not recorder.samples:
                await asyncio.sleep(0.05)
    finally:
        await publisher.stop(drain_timeout=0)
        await consumer.stop()
    assert recorder.samples == [sample]
