"""Discovered facts on the bus: a collector reads its devices (a real snmpd) and publishes what
they say; the service instance leading the device's partition stages it in the inventory's
discovered-facts review, and acknowledges the message after the commit. A redelivery or the next
round's identical reading stages nothing twice. Real nats-server; SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collectors.bus.config import BusConfig
from collectors.bus.consumer import BusConsumer
from collectors.bus.messages import decode, encode, encode_observation
from collectors.bus.publisher import BusPublisher
from collectors.bus.subjects import FACTS, partition_of
from collectors.remote.facts import observations, read_reports
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import PollTarget
from collectors.snmp.profile import ProfileSet
from eams.cluster.leadership import supports_leadership
from eams.components.bus import bus_consumer_component, fact_stager
from eams.services import Services
from inventory import migrate
from inventory.db import Database
from inventory.discovery import Observation, ObservedDevice, ObservedNeighbour
from inventory.models import Device, DeviceRole, DiscoveredFact, FactKind, FactSource, FactState
from tests.support.database import TEST_DATABASE_ENV, scratch_database_url
from tests.support.nats import NatsServer
from tests.support.peers import until
from tests.support.snmp_agents import Agent

pytestmark = pytest.mark.peer("nats-server")

PARTITIONS = 4


class Nothing:
    async def consume_samples(self, samples: list[Sample]) -> None:
        return None

    async def consume_event(self, event: Event) -> None:
        return None


def bus_settings(nats: NatsServer, **extra: object) -> dict[str, object]:
    return {
        "enabled": True, "url": nats.url, "stream": nats.stream, "subject_prefix": nats.stream.lower(),
        "consumer": nats.stream.lower(), "partitions": PARTITIONS, "leadership_interval_s": 0.2,
        "ack_wait_s": 2.0, "flush_interval_s": 0.1, **extra,
    }  # fmt: skip


def facts(db: Database) -> list[DiscoveredFact]:
    with db.session() as session:
        return list(session.scalars(select(DiscoveredFact).order_by(DiscoveredFact.id)))


def known_device(db: Database, name: str, firmware: str) -> int:
    with db.session() as session:
        device = Device(name=name, role=DeviceRole.switch, firmware_version=firmware, serial="FOC1111")
        session.add(device)
        session.flush()
        return device.id


def fact_shapes(db: Database) -> list[tuple[str, int | None, str, str | None, int]]:
    return [(f.kind.value, f.device_id, f.field, f.observed_value, f.times_seen) for f in facts(db)]


def test_a_facts_message_round_trips_and_is_on_its_devices_partition() -> None:
    observation = Observation(
        ObservedDevice(FactSource.snmp, address="10.0.0.7", hostname="sw-7", serial="X", device_id=7),
        (ObservedNeighbour("lldp", "Gi0/1", "sw-8", "10.0.0.8", "Gi0/2", {"chassis_id": "aa:bb"}),),
    )
    batch = decode(encode([], [], 1, "da", facts=[encode_observation(observation)]))
    assert batch.facts == [observation] and batch.samples == [] and batch.events == []
    assert FACTS == "facts" and partition_of(7, PARTITIONS) == partition_of("7", PARTITIONS)


async def test_a_collector_reads_its_devices_facts_from_the_agent(snmpd: Agent) -> None:
    targets = [
        PollTarget("dc-sw-1", Endpoint(snmpd.host, snmpd.port, timeout_s=2.0), Credentials(), device_id=41),
        PollTarget("gone", Endpoint("127.0.0.1", 9, timeout_s=0.3, retries=0), Credentials(), device_id=42),
    ]
    engine = make_engine()
    try:
        answered = await read_reports(engine, targets, ProfileSet.load())
    finally:
        await engine.close()
    [observation] = observations(answered)  # the silent target is left out
    assert observation.device.device_id == 41 and observation.device.source is FactSource.snmp
    assert observation.device.hostname == "eams-test-agent" and observation.device.address == snmpd.host


@pytest.fixture
async def service_bus(services: Services, nats: NatsServer) -> AsyncIterator[Services]:
    """The service's bus component (with partition leadership on PostgreSQL), leading every partition."""
    services.settings.bus = services.settings.bus.model_copy(update=bus_settings(nats))
    component = bus_consumer_component(services)
    assert component is not None
    await component.start()
    try:
        await component.consumer.wait_ready()
        await until(lambda: len(component.partitions) == PARTITIONS, "this instance leads every partition")
        yield services
    finally:
        await component.stop()


async def test_published_facts_are_staged_once_by_the_leading_instance(
    service_bus: Services, tmp_path: Path
) -> None:
    db = service_bus.db
    device_id = known_device(db, "dc-core-sw-01", firmware="15.0(2)SE")
    seen = Observation(
        ObservedDevice(
            FactSource.snmp, address="10.0.0.1", hostname="dc-core-sw-01", serial="FOC1111",
            firmware_version="15.2(7)E", device_id=device_id,
        ),
    )  # fmt: skip
    unknown = Observation(ObservedDevice(FactSource.snmp, address="10.0.0.99", hostname="sw-new-99"))
    publisher = BusPublisher(service_bus.settings.bus, Spool(tmp_path / "spool", fsync=False), source="da")

    async def publish_round() -> None:
        await publisher.consume_facts([seen, unknown])
        await publisher.seal()
        while await publisher.publish_one():
            pass

    consumer = service_bus.extras["bus"].consumer
    try:
        await publish_round()
        await until(lambda: consumer.stats.facts == 2, "both observations staged")
        assert publisher.stats.facts == 2 and consumer.stats.stage_errors == 0
        first = fact_shapes(db)
        assert sorted(first, key=str) == sorted(
            [
                ("changed_field", device_id, "firmware_version", "15.2(7)E", 1),
                ("new_device", None, "device", "sw-new-99", 1),
            ],
            key=str,
        )
        assert all(f.state is FactState.pending for f in facts(db))

        await publish_round()  # the next reading, identical: new messages, no new facts
        await until(lambda: consumer.stats.facts == 4, "the second round staged")
        assert [shape[:4] for shape in fact_shapes(db)] == [shape[:4] for shape in first]
        assert [shape[4] for shape in fact_shapes(db)] == [2, 2]  # seen twice, staged once
    finally:
        await publisher.stop(drain_timeout=0)


async def test_facts_are_acknowledged_only_after_their_commit(nats: NatsServer, tmp_path: Path) -> None:
    """The first delivery meets a database without its schema (a real failure: nothing commits),
    so the message is left unacknowledged; once the schema is there, the redelivery stages it."""
    config = BusConfig.model_validate(bus_settings(nats, partitions=1))
    with scratch_database_url(tmp_path, prefix="eams_facts") as url:
        db = Database(url)
        try:
            consumer = BusConsumer(
                config, Nothing().consume_samples, Nothing().consume_event,
                fetch_timeout_s=0.2, stage_facts=fact_stager(db),
            )  # fmt: skip
            publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")
            observation = Observation(ObservedDevice(FactSource.ssh, address="10.0.0.5", hostname="srv-5"))
            await consumer.start()
            try:
                await consumer.wait_ready()
                await publisher.consume_facts([observation])
                await publisher.seal()
                assert await publisher.publish_one()
                await until(lambda: consumer.stats.stage_errors >= 1, "the staging failed")
                assert consumer.stats.messages == 0 and consumer.stats.facts == 0  # not acknowledged
                await asyncio.to_thread(migrate.upgrade, db.engine)
                await until(lambda: consumer.stats.facts == 1, "the redelivery staged", timeout=90)
                assert consumer.stats.redelivered >= 1 and consumer.stats.messages == 1
            finally:
                await publisher.stop(drain_timeout=0)
                await consumer.stop()
            with db.session() as session:
                staged = session.scalar(select(func.count()).select_from(DiscoveredFact))
                kind = session.scalar(select(DiscoveredFact.kind))
            assert (staged, kind) == (1, FactKind.new_device)
        finally:
            db.dispose()


async def test_on_postgresql_only_the_partitions_leader_stages_facts_and_the_next_one_after_it(
    services: Services, nats: NatsServer, tmp_path: Path
) -> None:
    if not supports_leadership(services.db.url):
        pytest.skip(f"two instances need PostgreSQL: set {TEST_DATABASE_ENV}")
    instances = []
    for _ in range(2):
        settings = services.settings.model_copy(deep=True)
        settings.bus = settings.bus.model_copy(update=bus_settings(nats))
        instances.append(Services(settings=settings, db=services.db, secret_box=services.secret_box))
    first, second = (bus_consumer_component(instance) for instance in instances)
    assert first is not None and second is not None
    publisher = BusPublisher(instances[0].settings.bus, Spool(tmp_path / "spool", fsync=False), source="da")

    async def publish(name: str) -> None:
        await publisher.consume_facts([Observation(ObservedDevice(FactSource.snmp, hostname=name))])
        await publisher.seal()
        while await publisher.publish_one():
            pass

    await first.start()
    try:
        await until(lambda: len(first.partitions) == PARTITIONS, "the first instance leads")
        await second.start()
        await second.consumer.wait_ready()
        await publish("sw-new-1")
        await until(lambda: first.consumer.stats.facts == 1, "the leader staged it")
        assert second.partitions == [] and second.consumer.stats.facts == 0

        await first.stop()  # its partitions are free (kill -9: tests/bus/test_leadership.py)
        await until(lambda: len(second.partitions) == PARTITIONS, "the second instance took over")
        await publish("sw-new-2")
        await until(lambda: second.consumer.stats.facts == 1, "the new leader staged it")
    finally:
        await publisher.stop(drain_timeout=0)
        await first.stop()
        await second.stop()
    assert sorted(shape[3] or "" for shape in fact_shapes(services.db)) == ["sw-new-1", "sw-new-2"]
