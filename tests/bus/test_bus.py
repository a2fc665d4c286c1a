"""Samples and events over NATS JetStream: two collectors polling a real snmpd publish to the bus,
the service side consumes it into a real VictoriaMetrics (no de-duplication there, so a point
written twice shows), and the bus is killed in the middle."""

from __future__ import annotations

import asyncio
import collections
import logging
import shutil
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats as nats_client
import pytest
from nats.aio.msg import Msg

from collectors.bus.config import BusConfig
from collectors.bus.connection import connect
from collectors.bus.consumer import BusConsumer
from collectors.bus.messages import encode, encode_samples
from collectors.bus.publisher import BusPublisher, parse_record
from collectors.bus.subjects import SAMPLES, partition_of, subject
from collectors.pipeline import Pipeline
from collectors.samples import Event, Sample, Severity
from collectors.scheduler import PollScheduler
from collectors.sinks.influx import InfluxTarget, InfluxWriter, SpoolingInfluxSink
from collectors.sinks.spool import Spool
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from tests.support.nats import NatsServer
from tests.support.peers import until
from tests.support.snmp_agents import Agent
from tests.support.tsdb import VictoriaMetrics

pytestmark = [pytest.mark.peer("nats-server"), pytest.mark.peer("snmpd")]

REACHABLE = "collector_reachable"


OUTAGE_S = 60.0  # how long the bus is away in the outage test


class Recorder:
    """What the service's pipeline received: every sample, keyed by what makes a point one point."""

    def __init__(self) -> None:
        self.points: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self.events: list[Event] = []

    async def consume_samples(self, samples: list[Sample]) -> None:
        for sample in samples:
            self.points[(sample.measurement, repr(sorted(sample.tags.items())), sample.time_ns)] += 1

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)


@dataclass
class Collector:
    """One collector process's parts: poller -> pipeline -> bus publisher (with its spool)."""

    scheduler: PollScheduler
    publisher: BusPublisher
    pipeline: Pipeline


def bus_config(nats: NatsServer) -> BusConfig:
    return BusConfig(
        enabled=True, url=nats.url, stream=nats.stream, subject_prefix=nats.stream.lower(),
        consumer=f"{nats.stream.lower()}-svc", partitions=4, flush_interval_s=0.1,
        publish_timeout_s=1.0, ack_wait_s=5.0,
    )  # fmt: skip


def make_collector(config: BusConfig, name: str, agent: Agent, first_id: int, spool_dir: Path) -> Collector:
    publisher = BusPublisher(config, Spool(spool_dir, fsync=False), source=name)
    pipeline = Pipeline()
    pipeline.add_sample_consumer(publisher)
    pipeline.add_event_consumer(publisher)
    scheduler = PollScheduler(
        Poller(make_engine(), ProfileSet.load()), pipeline.publish_samples, spread=False
    )
    scheduler.sync(
        [
            PollTarget(f"{name}-{n}", Endpoint(agent.host, agent.port), Credentials(), device_id=first_id + n)
            for n in range(3)
        ]
    )
    return Collector(scheduler, publisher, pipeline)


@pytest.fixture
async def stack(
    nats: NatsServer, snmpd: Agent, tmp_path: Path
) -> AsyncIterator[tuple[BusConfig, list[Collector], BusConsumer, Recorder, VictoriaMetrics]]:
    config = bus_config(nats)
    vm = VictoriaMetrics(tmp_path / "vm", dedup=False)  # a point written twice is kept twice
    vm.start()
    recorder = Recorder()
    sink = SpoolingInfluxSink(
        Spool(tmp_path / "influx", fsync=False),
        InfluxWriter(InfluxTarget(url=vm.url, token="", org="eams", bucket="eams")),
        flush_interval=0.05,
        state_interval=None,
    )
    service = Pipeline()
    service.add_sample_consumer(sink)
    service.add_sample_consumer(recorder)
    service.add_event_consumer(recorder)
    consumer = BusConsumer(config, service.publish_samples, service.publish_event, fetch_timeout_s=0.2)
    collectors = [
        make_collector(config, "da", snmpd, 1, tmp_path / "spool-da"),
        make_collector(config, "sd", snmpd, 101, tmp_path / "spool-sd"),
    ]
    await sink.start()
    await consumer.start()
    for collector in collectors:
        await collector.publisher.start()
    try:
        yield config, collectors, consumer, recorder, vm
    finally:
        for collector in collectors:
            await collector.scheduler.stop()
            await collector.publisher.stop(drain_timeout=1.0)
        await consumer.stop()
        await sink.stop()
        vm.stop()


async def poll_round(collectors: list[Collector]) -> None:
    for collector in collectors:
        await collector.scheduler.poll_all_once()


def published_samples(collectors: list[Collector]) -> int:
    return sum(c.publisher.stats.samples for c in collectors)


async def all_delivered(collectors: list[Collector], consumer: BusConsumer, what: str) -> None:
    for collector in collectors:
        await collector.publisher.seal()
    await until(lambda: all(c.publisher.pending() == 0 for c in collectors), f"{what}: publish")
    await until(lambda: consumer.stats.samples >= published_samples(collectors), f"{what}: consume")


async def publish_all(publisher: BusPublisher) -> None:
    """Publish every sealed batch of the spool, one after the other."""
    while await publisher.publish_one():
        pass


def reachable_times(vm: VictoriaMetrics) -> dict[str, list[int]]:
    return {one["metric"]["device"]: one["timestamps"] for one in vm.export(f'{{__name__="{REACHABLE}"}}')}


def polls_in_vm(vm: VictoriaMetrics) -> int:
    """The fewest points any of the six devices has in VictoriaMetrics (0 until all six are there)."""
    times = reachable_times(vm)
    return min((len(t) for t in times.values()), default=0) if len(times) == 6 else 0


def test_a_device_is_on_the_same_partition_in_every_process() -> None:
    # CRC-32, not hash(): a fresh interpreter (another PYTHONHASHSEED) puts it on the same partition.
    code = "from collectors.bus.subjects import partition_of as p; print(p(4711, 16), p('sw', 16))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.split() == [str(partition_of(4711, 16)), str(partition_of("sw", 16))]
    assert partition_of(4711, 16) == zlib.crc32(b"4711") % 16
    assert {partition_of(n, 16) for n in range(200)} == set(range(16))


async def test_two_collectors_publish_and_every_poll_reaches_the_sink_once(stack) -> None:  # type: ignore[no-untyped-def]
    _config, collectors, consumer, recorder, vm = stack
    await consumer.wait_ready()
    for _ in range(3):
        await poll_round(collectors)
    await all_delivered(collectors, consumer, "three rounds")

    assert published_samples(collectors) > 6 * 3 * 10  # real polls: many samples per device
    assert consumer.stats.samples == published_samples(collectors)
    assert sum(recorder.points.values()) == published_samples(collectors)
    assert max(recorder.points.values()) == 1  # no point twice
    assert {c.publisher.stats.published for c in collectors} != {0}
    assert consumer.stats.rejected == 0

    await until(lambda: polls_in_vm(vm) >= 3, "three polls of six devices in VictoriaMetrics", timeout=30)
    times = reachable_times(vm)
    assert sorted(times) == ["da-0", "da-1", "da-2", "sd-0", "sd-1", "sd-2"]
    assert all(len(t) == 3 and len(set(t)) == 3 for t in times.values())  # every poll, once


async def publish_raw(config: BusConfig, subject_name: str, body: bytes, msg_id: str) -> None:
    """One message straight to JetStream under `msg_id`, as a collector's publish would send it."""
    raw = await nats_client.connect(config.url)
    try:
        headers = {"Nats-Msg-Id": msg_id}
        await raw.jetstream().publish(subject_name, body, stream=config.stream, headers=headers)
    finally:
        await raw.close()


async def test_a_retry_whose_first_ack_was_lost_is_stored_once(stack) -> None:  # type: ignore[no-untyped-def]
    config, collectors, consumer, recorder, _vm = stack
    await consumer.wait_ready()
    publisher = collectors[0].publisher
    for collector in collectors:  # publish by hand below
        for task in collector.publisher._tasks:
            task.cancel()
    await publisher.consume_event(
        Event(
            kind="snmp_trap",
            name="linkDown",
            severity=Severity.warning,
            message="Gi0/1",
            source="da",
            device_id=1,
        )
    )
    await publisher.seal()
    record = publisher.spool.peek()
    assert record is not None
    msg_id, subject_name, body = parse_record(record.payload)
    # The first publish reached JetStream but its acknowledgement never came back to the collector:
    await publish_raw(config, subject_name, body, msg_id)
    assert await publisher.publish_one()  # the collector's retry, same id
    assert publisher.stats.duplicates == 1 and publisher.stats.published == 0
    await until(lambda: len(recorder.events) >= 1, "the event consumed")
    await asyncio.sleep(0.5)  # room for a second copy to arrive, were there one
    assert [e.name for e in recorder.events] == ["linkDown"]
    assert partition_of(1, config.partitions) == int(subject_name.rsplit(".", 1)[1])


async def test_a_message_whose_ack_the_bus_lost_is_handed_on_once(stack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The consumer's ack never reaches the bus (as when NATS dies right after it was sent): the
    bus delivers the message again after ack_wait, and the service must not take it twice. The
    lost ack is injected by dropping that one ack frame; the bus and the redelivery are real."""
    _config, collectors, consumer, recorder, _vm = stack
    await consumer.wait_ready()
    for collector in collectors:  # publish by hand below
        for task in collector.publisher._tasks:
            task.cancel()
    real_ack = Msg.ack
    dropped: list[int] = []

    async def ack_lost_once(message: Msg) -> None:
        if not dropped:
            dropped.append(message.metadata.sequence.stream)
            return
        await real_ack(message)

    monkeypatch.setattr(Msg, "ack", ack_lost_once)
    publisher = collectors[0].publisher
    await publisher.consume_event(
        Event(
            kind="snmp_trap", name="linkUp", severity=Severity.info, message="Gi0/2", source="da", device_id=1
        )
    )
    await publisher.seal()
    assert await publisher.publish_one()
    await until(lambda: consumer.stats.redelivered >= 1, "the bus delivering the message again")
    await until(lambda: consumer.stats.duplicates >= 1 or len(recorder.events) >= 2, "the redelivery handled")
    await asyncio.sleep(0.5)
    assert [e.name for e in recorder.events] == ["linkUp"]
    assert consumer.stats.duplicates == 1 and len(dropped) == 1


async def test_the_bus_dies_for_a_while_and_nothing_is_lost(stack, nats: NatsServer) -> None:  # type: ignore[no-untyped-def]
    if not nats.owned:
        pytest.skip("the shared NATS server cannot be killed; install nats-server to run this test")
    _config, collectors, consumer, recorder, vm = stack
    await consumer.wait_ready()
    await poll_round(collectors)
    await all_delivered(collectors, consumer, "before the outage")
    before = published_samples(collectors)

    nats.kill()
    # A minute without the bus (issue 17's Done means), the collectors polling every 5 s meanwhile:
    # longer than the client's reconnect attempts take to pile up and the publisher's backoff
    # to grow, so a give-up or a lost spool would show.
    went = time.monotonic()
    rounds = 0
    while time.monotonic() - went < OUTAGE_S:
        await poll_round(collectors)
        rounds += 1
        for collector in collectors:
            await collector.publisher.seal()
        await asyncio.sleep(5.0)
    assert all(c.publisher.pending() > 0 for c in collectors)  # waiting in the local spools
    assert published_samples(collectors) > before
    nats.start()  # same port, same store: the stream and the durable consumers are still there

    await all_delivered(collectors, consumer, "after the outage")
    assert sum(c.publisher.stats.retries for c in collectors) > 0  # counted
    assert all(c.publisher.stats.max_buffered >= rounds for c in collectors)
    # Every published sample reached the pipeline once. A bus killed before it wrote its
    # consumers' acknowledgements may bring an acknowledged batch again as a first delivery (seen
    # in CI after this outage); the consumer knows it by the batch's id and skips it.
    published = published_samples(collectors)
    assert consumer.stats.samples == sum(recorder.points.values()) == published
    assert max(recorder.points.values()) == 1
    polls = 1 + rounds
    await until(
        lambda: polls_in_vm(vm) >= polls, f"{polls} polls of six devices in VictoriaMetrics", timeout=30
    )
    assert all(len(t) == polls and len(set(t)) == polls for t in reachable_times(vm).values())


async def test_a_batch_larger_than_a_bus_message_is_split_and_arrives_whole(
    nats: NatsServer, tmp_path: Path
) -> None:
    # Bug found by bench/scale: 7,500 samples on one partition made a 2 MB message that NATS
    # refused (max_payload 1 MiB) again and again, and the spool behind it never drained.
    config = bus_config(nats).model_copy(update={"partitions": 1})
    recorder = Recorder()
    consumer = BusConsumer(config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2)
    publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")
    samples = [
        Sample("interface", {"device": f"sw-{n}", "ifName": f"Gi1/0/{n}"}, {"ifHCInOctets": n}, time_ns=n + 1)
        for n in range(8_000)
    ]
    await consumer.start()
    try:
        await consumer.wait_ready()
        await publisher.consume_samples(samples[:4_000])
        await publisher.consume_samples(samples[4_000:])
        await publisher.seal()
        assert publisher.stats.batches > 2
        await publish_all(publisher)
        await until(lambda: sum(recorder.points.values()) >= len(samples), "every sample consumed")
    finally:
        await publisher.stop(drain_timeout=0)
        await consumer.stop()
    assert sum(recorder.points.values()) == len(samples) and max(recorder.points.values()) == 1
    assert publisher.stats.rejected == 0


class SlowDiskSpool(Spool):
    """The real spool on a slow disk: each append takes a while, so a stop can come mid-seal."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, fsync=False)
        self.appending = threading.Event()

    def append(self, payload: bytes) -> bool:
        self.appending.set()
        time.sleep(0.2)
        return super().append(payload)


async def test_a_collector_stopping_in_the_middle_of_a_seal_loses_no_sample(
    nats: NatsServer, tmp_path: Path
) -> None:
    # Bug found by bench/scale: stop() cancelled the seal loop while it was spooling a flush's
    # batches one by one; those not yet appended were gone (about a second of samples per stop).
    config = bus_config(nats).model_copy(update={"flush_interval_s": 0.05})
    recorder = Recorder()
    consumer = BusConsumer(config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2)
    spool = SlowDiskSpool(tmp_path / "spool")
    publisher = BusPublisher(config, spool, source="da")
    samples = [
        Sample("cpu", {"device": f"sw-{n % 8}"}, {"usage": float(n)}, time_ns=n + 1, device_id=n % 8)
        for n in range(40)
    ]
    assert len({partition_of(n, config.partitions) for n in range(8)}) > 1  # several batches a seal
    await consumer.start()
    try:
        await consumer.wait_ready()
        await publisher.start()
        await publisher.consume_samples(samples[:1])  # connected: stop() drains to the bus
        await until(lambda: publisher.stats.published == 1, "the first batch published")
        spool.appending.clear()
        await publisher.consume_samples(samples[1:])
        await until(spool.appending.is_set, "the seal loop spooling")
        await publisher.stop(drain_timeout=30)
        await until(lambda: sum(recorder.points.values()) >= len(samples), "every sample consumed")
    finally:
        await consumer.stop()
    assert publisher.stats.samples == len(samples) and publisher.pending() == 0
    assert sum(recorder.points.values()) == len(samples) and max(recorder.points.values()) == 1


async def test_a_bus_restarted_on_an_empty_store_gets_its_stream_and_consumers_back(
    nats: NatsServer, tmp_path: Path
) -> None:
    if not nats.owned:
        pytest.skip("the shared NATS server cannot be restarted; install nats-server to run this test")
    config = bus_config(nats).model_copy(update={"partitions": 2})
    recorder = Recorder()
    consumer = BusConsumer(config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2)
    publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")

    def point(n: int) -> list[Sample]:
        return [
            Sample("collector", {"device": f"sw-{d}"}, {"reachable": True}, time_ns=n, device_id=d)
            for d in (1, 2)
        ]

    await consumer.start()
    await publisher.start()
    try:
        await consumer.wait_ready()
        await publisher.consume_samples(point(1))
        await until(lambda: sum(recorder.points.values()) == 2, "the first points")
        nats.kill()
        assert nats.root is not None
        shutil.rmtree(nats.root / "store")  # the bus comes back with nothing: no stream, no consumers
        nats.start()
        await publisher.consume_samples(point(2))
        await until(lambda: sum(recorder.points.values()) == 4, "points after the bus lost its store")
    finally:
        await publisher.stop(drain_timeout=0)
        await consumer.stop()
    assert max(recorder.points.values()) == 1


async def test_a_batch_brought_again_as_a_first_delivery_is_handed_on_once(
    nats: NatsServer, tmp_path: Path
) -> None:
    """The bus can bring a batch this consumer already handed on as a *first* delivery: killed
    before it wrote the consumer's ack, or (here) restarted on an empty store while the collector,
    whose publish acknowledgement was lost, sends the batch again under its id. Stream sequences
    start again from 1 then; the batch's id does not change, and that is what the consumer keeps."""
    if not nats.owned:
        pytest.skip("the shared NATS server cannot be restarted; install nats-server to run this test")
    config = bus_config(nats).model_copy(update={"partitions": 1})
    recorder = Recorder()
    consumer = BusConsumer(config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2)
    subject_name = subject(config.subject_prefix, SAMPLES, 0)

    async def publish(msg_id: str, n: int) -> None:
        body = encode(
            encode_samples(
                [Sample("collector", {"device": "sw-1"}, {"reachable": True}, time_ns=n, device_id=1)]
            ),
            [],
            created_ns=n,
            source="da",
        )
        await publish_raw(config, subject_name, body, msg_id)

    await consumer.start()
    try:
        await consumer.wait_ready()
        await publish("batch-1", 1)
        await until(lambda: consumer.stats.messages == 1, "the first batch handed on")
        nats.kill()
        assert nats.root is not None
        shutil.rmtree(nats.root / "store")
        nats.start()
        # The collector's retry of batch-1 (its acknowledgement never came), then a new batch.
        await until_published(publish, "batch-1", 1)
        await publish("batch-2", 2)
        await until(lambda: consumer.stats.messages == 2, "the new batch handed on")
    finally:
        await consumer.stop()
    assert consumer.stats.duplicates == 1
    assert consumer.stats.samples == 2
    assert sorted(time_ns for _, _, time_ns in recorder.points) == [1, 2]
    assert max(recorder.points.values()) == 1


async def until_published(publish, *args) -> None:  # type: ignore[no-untyped-def]
    """Publish once the restarted bus has the stream again (the consumer declares it)."""
    for _ in range(100):
        try:
            await publish(*args)
            return
        except (nats_client.errors.Error, TimeoutError):
            await asyncio.sleep(0.1)
    raise AssertionError("the restarted bus never took the publish")


async def test_a_fetch_is_acknowledged_only_after_the_sinks_settled(nats: NatsServer, tmp_path: Path) -> None:
    """The consumer waits for `settle` (the service's sinks written or spooled) before it acks:
    a service that stops (or dies) while its sinks still hold the samples in memory leaves them
    unacknowledged, and the bus hands them to the next consumer."""
    config = bus_config(nats).model_copy(update={"partitions": 1, "ack_wait_s": 1.0})
    first, second = Recorder(), Recorder()
    settled = asyncio.Event()
    settle_calls = 0

    async def never_settles() -> None:  # the sink's write hangs: nothing may be acknowledged
        nonlocal settle_calls
        settle_calls += 1
        await settled.wait()

    dying = BusConsumer(
        config, first.consume_samples, first.consume_event, fetch_timeout_s=0.2, settle=never_settles
    )
    publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")
    samples = [
        Sample("collector", {"device": f"sw-{n}"}, {"reachable": True}, time_ns=n + 1) for n in range(50)
    ]
    await dying.start()
    try:
        await dying.wait_ready()
        await publisher.consume_samples(samples)
        await publisher.seal()
        await publish_all(publisher)
        await until(lambda: sum(first.points.values()) == len(samples), "the samples handed to the sinks")
        await until(lambda: settle_calls > 0, "the consumer waiting for the sinks")
        assert dying.stats.messages == 0  # handed on, not acknowledged
    finally:
        await dying.stop()  # gone before its sinks settled
        await publisher.stop(drain_timeout=0)
    survivor = BusConsumer(config, second.consume_samples, second.consume_event, fetch_timeout_s=0.2)
    await survivor.start()
    try:
        await survivor.wait_ready()
        await until(lambda: sum(second.points.values()) == len(samples), "the samples given again", 30)
    finally:
        await survivor.stop()
    assert survivor.stats.messages >= 1 and max(second.points.values()) == 1


async def test_sinks_that_fail_to_settle_leave_the_fetch_to_come_again(
    nats: NatsServer, tmp_path: Path
) -> None:
    """A settle that raises (the metrics store's disk full, say) must not end the partition's
    fetch loop: the fetch stays unacknowledged, is counted, and the bus brings it again."""
    config = bus_config(nats).model_copy(update={"partitions": 1, "ack_wait_s": 1.0})
    recorder = Recorder()
    failures = ["disk full"]

    async def fails_once() -> None:
        if failures:
            raise OSError(failures.pop())

    consumer = BusConsumer(
        config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2, settle=fails_once
    )
    publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")
    samples = [Sample("collector", {"device": f"sw-{n}"}, {"up": True}, time_ns=n + 1) for n in range(5)]
    await consumer.start()
    try:
        await consumer.wait_ready()
        await publisher.consume_samples(samples)
        await publisher.seal()
        await publish_all(publisher)
        await until(lambda: consumer.stats.messages >= 1, "acknowledged when the bus brought it again", 30)
    finally:
        await publisher.stop(drain_timeout=0)
        await consumer.stop()
    assert consumer.stats.settle_errors == 1 and consumer.stats.redelivered >= 1
    assert consumer.stats.samples == len(samples)  # counted once, when acknowledged
    assert len(recorder.points) == len(samples)  # handed on twice (at least once), nothing lost


async def test_a_connection_closed_on_purpose_is_not_reported_as_a_lost_bus(
    nats: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = bus_config(nats)
    with caplog.at_level(logging.WARNING, logger="collectors.bus.connection"):
        client = await connect(config, "closing on purpose")
        await client.close()
    assert "lost the bus" not in caplog.text
    if not nats.owned:
        return
    with caplog.at_level(logging.WARNING, logger="collectors.bus.connection"):
        client = await connect(config, "losing the bus")
        try:
            nats.kill()
            await until(lambda: "lost the bus" in caplog.text, "the loss reported", timeout=10)
        finally:
            nats.start()
            await client.close()


async def test_the_partition_fetches_on_while_a_fetch_waits_for_the_sinks(
    nats: NatsServer, tmp_path: Path
) -> None:
    """A settle is an fsync'ed spool write or an InfluxDB request: a partition that waited for it
    before its next fetch fell minutes behind at 20,000 devices. The next fetch is handed on
    meanwhile; each is acknowledged once its settle ended."""
    config = bus_config(nats).model_copy(update={"partitions": 1, "fetch_batch": 1})
    recorder = Recorder()
    release = asyncio.Event()
    settles = 0

    async def slow_sinks() -> None:
        nonlocal settles
        settles += 1
        await release.wait()

    consumer = BusConsumer(
        config, recorder.consume_samples, recorder.consume_event, fetch_timeout_s=0.2, settle=slow_sinks
    )
    publisher = BusPublisher(config, Spool(tmp_path / "spool", fsync=False), source="da")
    await consumer.start()
    try:
        await consumer.wait_ready()
        for n in range(3):  # three messages, one per fetch
            point = Sample("collector", {"device": "sw-1"}, {"up": True}, time_ns=n + 1)
            await publisher.consume_samples([point])
            await publisher.seal()
        await publish_all(publisher)
        await until(lambda: sum(recorder.points.values()) == 3, "every fetch handed on while the first waits")
        assert consumer.stats.messages == 0  # none acknowledged before the sinks settled
        release.set()
        await until(lambda: consumer.stats.messages == 3, "each acknowledged after its settle")
    finally:
        await publisher.stop(drain_timeout=0)
        await consumer.stop()
    assert settles >= 1 and consumer.stats.samples == 3
