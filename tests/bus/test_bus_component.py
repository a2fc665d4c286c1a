"""The service's bus component: off by default; on, it feeds what collectors publish into the
service's own pipeline (a real nats-server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.bus.publisher import BusPublisher
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool
from eams.cluster.leadership import supports_leadership
from eams.components import COMPONENT_FACTORIES
from eams.components.alerts import alert_engine_component
from eams.components.bus import EXTRAS_KEY, bus_consumer_component
from eams.services import Services
from eams.settings import Settings
from tests.support.database import TEST_DATABASE_ENV
from tests.support.nats import NatsServer
from tests.support.peers import until

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
    component = bus_consumer_component(services)
    assert component is not None and services.extras[EXTRAS_KEY] is component
    publisher = BusPublisher(services.settings.bus, Spool(tmp_path / "spool", fsync=False), source="da")
    await component.start()
    try:
        await component.consumer.wait_ready()
        await until(lambda: len(component.partitions) == 16, "this instance leads every partition")
        sample = Sample("collector", {"device": "sw-1"}, {"reachable": True}, device_id=7)
        await publisher.consume_samples([sample])
        await publisher.seal()
        assert await publisher.publish_one()
        await until(lambda: bool(recorder.samples), "the sample consumed")
    finally:
        await publisher.stop(drain_timeout=0)
        await component.stop()
    assert recorder.samples == [sample]


def bus_services(services: Services, nats: NatsServer) -> Services:
    """Another service instance on the same database, with its own pipeline."""
    settings = services.settings.model_copy(deep=True)
    settings.bus = settings.bus.model_copy(
        update={
            "enabled": True, "url": nats.url, "stream": nats.stream, "subject_prefix": nats.stream.lower(),
            "consumer": nats.stream.lower(), "partitions": 4, "leadership_interval_s": 0.2, "ack_wait_s": 2.0,
        }
    )  # fmt: skip
    return Services(settings=settings, db=services.db, secret_box=services.secret_box)


async def test_two_instances_on_postgresql_one_leads_and_the_other_takes_over(
    services: Services, nats: NatsServer, tmp_path: Path
) -> None:
    if not supports_leadership(services.db.url):
        pytest.skip(f"two instances need PostgreSQL: set {TEST_DATABASE_ENV}")
    first, second = bus_services(services, nats), bus_services(services, nats)
    recorders = [Recorder(), Recorder()]
    for instance, recorder in zip((first, second), recorders, strict=True):
        instance.pipeline.add_sample_consumer(recorder)
    a, b = bus_consumer_component(first), bus_consumer_component(second)
    assert a is not None and b is not None
    publisher = BusPublisher(first.settings.bus, Spool(tmp_path / "spool", fsync=False), source="da")

    async def publish(round_: int) -> list[Sample]:
        samples = [
            Sample("collector", {"device": f"sw-{d}"}, {"reachable": True}, time_ns=round_, device_id=d)
            for d in range(40)  # every partition
        ]
        await publisher.consume_samples(samples)
        await publisher.seal()
        while await publisher.publish_one():
            pass
        return samples

    await a.start()
    try:
        await until(lambda: a.partitions == [0, 1, 2, 3], "the first instance leads")
        await b.start()
        await b.consumer.wait_ready()
        first_round = await publish(1)
        await until(lambda: len(recorders[0].samples) == 40, "the leader consumed them")
        assert b.partitions == [] and recorders[1].samples == []  # standing by

        await a.stop()  # gives its partitions up (kill -9: tests/bus/test_leadership.py)
        await until(lambda: b.partitions == [0, 1, 2, 3], "the second instance took over")
        second_round = await publish(2)
        await until(lambda: len(recorders[1].samples) == 40, "the new leader consumed them")
    finally:
        await publisher.stop(drain_timeout=0)
        await a.stop()
        await b.stop()

    def by_device(samples: list[Sample]) -> list[Sample]:
        return sorted(samples, key=lambda s: s.device_id or 0)

    # Each round consumed once, by the instance that led then (order is per partition only).
    assert by_device(recorders[0].samples) == first_round and by_device(recorders[1].samples) == second_round


async def test_the_alert_engine_follows_the_partitions_only_with_leadership(
    services: Services, nats: NatsServer
) -> None:
    """On PostgreSQL with the bus the engine joins the cluster and is handed the partitions the
    instance leads; on SQLite (one instance) it owns everything and is never handed any."""
    instance = bus_services(services, nats)
    engine = alert_engine_component(instance)
    component = bus_consumer_component(instance)
    assert component is not None
    await engine.start()
    await component.start()
    try:
        if not supports_leadership(services.db.url):
            assert engine.ownership is None
            await component.consumer.wait_ready()
            assert component.partitions == [0, 1, 2, 3]
        else:
            await until(
                lambda: engine.ownership is not None and engine.ownership.held == {0, 1, 2, 3},
                "the engine owns the partitions the instance leads",
            )
    finally:
        await component.stop()
        led_after_stop = None if engine.ownership is None else set(engine.ownership.held)
        await engine.stop()
    assert led_after_stop in (None, set())  # a stopping instance's engine gives its devices up
