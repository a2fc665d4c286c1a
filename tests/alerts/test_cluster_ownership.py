"""Several service instances on one database: each alert engine owns the devices of the bus
partitions its instance leads (eams/alerts/ownership.py). Two engines over the test database
stand for two instances: each fires only its own devices' alerts, a partition that moves is
forgotten by the one (nothing resolved, nothing notified) and restored by the other, and one
outbox row is delivered by one engine only (a cluster-wide advisory lock, PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from collectors.bus.subjects import partition_of
from collectors.samples import Event, Severity
from eams.alerts.clock import ManualClock
from eams.alerts.dispatch.groups import OutboxItem
from eams.alerts.engine import AlertEngine
from eams.alerts.models import Alert, OutboxMessage
from eams.alerts.notify.base import Notification
from eams.alerts.outbox import enqueue
from eams.alerts.ownership import SERVICE_PARTITION, PartitionOwnership
from eams.cluster.singleton import AdvisoryLockSingletons, JobLock
from eams.services import Services
from tests.alerts.conftest import EngineFactory, Estate, sample, save_routing, webhook_routing
from tests.alerts.receivers import HttpReceiver
from tests.support.database import TEST_DATABASE_ENV, backend

UNREACHABLE = """
rules:
  - name: device-unreachable
    kind: unreachable
    severity: critical
    measurement: collector
    field: reachable
    failures: 2
    summary: {en: "{device} does not answer", vi: "{device} không phản hồi"}
"""


def split(estate: Estate) -> tuple[int, frozenset[int], frozenset[int]]:
    """A partition count that puts the core switch apart from the two others, and the partitions
    of each side: (count, the core's partitions, every other partition)."""
    for partitions in range(2, 64):
        core = partition_of(estate.core, partitions)
        if all(partition_of(d, partitions) != core for d in (estate.access, estate.server)):
            return partitions, frozenset({core}), frozenset(range(partitions)) - {core}
    raise AssertionError("no partition count separates the devices")


def clustered(make_engine: EngineFactory, rules: str, partitions: int) -> AlertEngine:
    """An engine as a clustered instance starts it: joined before it opens, leading nothing."""
    return make_engine(rules, before_open=lambda e: e.join_cluster(PartitionOwnership(partitions), None))


def unreachable(device_id: int, reachable: bool) -> list:  # type: ignore[type-arg]
    return [sample("collector", device_id, {"reachable": reachable})]


def firing(services: Services) -> dict[int | None, int]:
    with services.db.session() as session:
        rows = session.execute(
            select(Alert.device_id, func.count()).where(Alert.state == "firing").group_by(Alert.device_id)
        )
        return {device_id: count for device_id, count in rows}


def notices(hook: HttpReceiver) -> list[tuple[str, str]]:
    """(status, device) of every alert in every notification the receiver got."""
    return [(a["state"], a["device"]) for p in hook.payloads() for a in p["alerts"]]


async def test_each_engine_fires_only_the_devices_of_the_partitions_it_leads(
    make_engine: EngineFactory, estate: Estate, services: Services, clock: ManualClock
) -> None:
    partitions, core_side, other_side = split(estate)
    a = clustered(make_engine, UNREACHABLE, partitions)
    b = clustered(make_engine, UNREACHABLE, partitions)
    await a.lead(core_side)
    await b.lead(other_side)
    everyone = [estate.core, estate.access, estate.server]
    for _ in range(3):  # both engines see every device fail (in-process pollers, a stray batch)
        clock.advance(10)
        for engine in (a, b):
            await engine.consume_samples([s for d in everyone for s in unreachable(d, False)])
            await engine.tick()
    assert firing(services) == {estate.core: 1, estate.access: 1, estate.server: 1}  # each once
    assert {i.device_id for i in a.evaluator.instances.values()} == {estate.core}
    assert {i.device_id for i in b.evaluator.instances.values()} == {estate.access, estate.server}


async def test_a_moved_partition_is_forgotten_unresolved_and_restored_by_its_new_leader(
    make_engine: EngineFactory, estate: Estate, services: Services, clock: ManualClock, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s", group_interval="0s"))
    partitions, core_side, _ = split(estate)
    every = frozenset(range(partitions))
    a = clustered(make_engine, UNREACHABLE, partitions)
    b = clustered(make_engine, UNREACHABLE, partitions)
    await a.lead(every)
    for _ in range(2):
        clock.advance(10)
        await a.consume_samples(unreachable(estate.core, False))
    await a.tick()
    assert await a.deliver() == 1
    assert notices(hook) == [("firing", "sw-core-01")]

    await a.lead(every - core_side)  # the core's partition moves to b
    assert all(i.device_id != estate.core for i in a.evaluator.instances.values())
    clock.advance(10)
    await a.consume_samples(unreachable(estate.core, True))  # a late sample: not a's any more
    await a.tick()
    assert firing(services) == {estate.core: 1}  # still firing: a resolved nothing
    await b.lead(core_side)
    restored = [i for i in b.evaluator.instances.values() if i.device_id == estate.core]
    assert [i.status.value for i in restored] == ["firing"]

    clock.advance(10)
    await b.consume_samples(unreachable(estate.core, True))
    await b.tick()
    assert firing(services) == {}
    assert await a.deliver() + await b.deliver() == 1
    # FIRING once (before the move, not again from the restore), RESOLVED once.
    assert notices(hook) == [("firing", "sw-core-01"), ("resolved", "sw-core-01")]


async def test_device_less_alerts_come_back_with_the_service_partition(
    make_engine: EngineFactory, estate: Estate, services: Services, clock: ManualClock
) -> None:
    rules = """
    rules:
      - name: event-loop-lagging
        kind: event
        severity: critical
        entity: [instance]
        match: {kind: service, name: loop_lagging}
        resolve_match: {kind: service, name: loop_ok}
        summary: {en: "{detail}", vi: "{detail}"}
    """
    partitions = 4
    a = clustered(make_engine, rules, partitions)
    lag = Event(
        kind="service", name="loop_lagging", severity=Severity.critical, message="late", source="eams",
        labels={"instance": "a"},
    )  # fmt: skip
    await a.consume_event(lag)  # a leads nothing: an event about itself is still its own
    assert firing(services) == {None: 1}
    await a.lead(frozenset({SERVICE_PARTITION}))  # already in memory: not restored twice
    assert len(a.evaluator.instances) == 1
    await a.lead(frozenset())
    assert a.evaluator.instances == {}
    b = clustered(make_engine, rules, partitions)
    await b.lead(frozenset({1, 2}))
    assert b.evaluator.instances == {}  # device-less alerts belong to partition 0's leader
    await b.lead(frozenset({SERVICE_PARTITION, 1, 2}))
    assert [i.status.value for i in b.evaluator.instances.values()] == ["firing"]


EnginePair = tuple[AlertEngine, AlertEngine]


@pytest.fixture
def locking_engines(make_engine: EngineFactory, services: Services, hook: HttpReceiver) -> EnginePair:
    """Two engines as two clustered instances start them, sharing the delivery lock (a PostgreSQL
    advisory lock), with the hook as the routing's receiver."""
    if backend() != "postgresql":
        pytest.skip(f"the delivery lock is a PostgreSQL advisory lock: set {TEST_DATABASE_ENV}")
    save_routing(services, webhook_routing(hook, group_wait="0s"))

    def join(engine: AlertEngine) -> None:
        engine.join_cluster(
            PartitionOwnership(4),
            JobLock(AdvisoryLockSingletons(services.db.url), "notification delivery", owned=True),
        )

    return make_engine(UNREACHABLE, before_open=join), make_engine(UNREACHABLE, before_open=join)


async def test_one_outbox_row_is_delivered_by_one_of_two_engines(
    locking_engines: EnginePair, services: Services, clock: ManualClock, hook: HttpReceiver
) -> None:
    engines = list(locking_engines)

    def queue(key: str) -> None:
        with services.db.session() as session:
            item = OutboxItem("ops-hook", key, {"alerts": [], "status": "firing"}, order_key="g")
            enqueue(session, [item], clock.now())

    queue("first")
    sent = await asyncio.gather(*(engine.deliver() for engine in engines))
    sent += await asyncio.gather(*(engine.deliver() for engine in engines))  # and once more each
    assert sorted(sent) == [0, 0, 0, 1] and len(hook.requests) == 1
    holder, other = engines if sent[0] or sent[2] else engines[::-1]

    await holder.stop()  # its session ends, and with it the lock
    queue("second")
    assert await other.deliver() == 1  # the survivor takes the lock and delivers
    assert [r.headers.get("Idempotency-Key") for r in hook.requests] == ["first", "second"]
    with services.db.session() as session:
        statuses = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert statuses == ["delivered", "delivered"]


async def test_a_send_cut_off_before_it_was_recorded_is_sent_again_by_the_next_holder(
    locking_engines: EnginePair, services: Services, clock: ManualClock, hook: HttpReceiver
) -> None:
    """The holder sends a row and dies before marking it delivered (kill -9 between the two):
    the survivor sends it again under the same key, so the receiver can drop the copy."""
    dying, survivor = locking_engines
    with services.db.session() as session:
        item = OutboxItem("ops-hook", "cut-off", {"alerts": [], "status": "firing"}, order_key="g")
        enqueue(session, [item], clock.now())
    await dying.tick()  # routing loaded, channels built
    rows = await dying.in_worker(dying.outbox.due_rows, clock.now())  # takes the lock
    assert [row.dedup_key for row in rows] == ["cut-off"]
    assert await survivor.deliver() == 0  # the lock is held: the survivor waits
    channel = dying.channels["ops-hook"]
    await channel.send(Notification("ops-hook", rows[0].dedup_key, rows[0].payload))
    await dying.stop()  # dies before record_outcomes: the row is still pending, the lock free

    assert await survivor.deliver() == 1
    keys = [r.headers.get("Idempotency-Key") for r in hook.requests]
    assert keys == ["cut-off", "cut-off"]  # at least once, with the key to drop the copy
    with services.db.session() as session:
        assert session.scalars(select(OutboxMessage.status)).all() == ["delivered"]


def suppressed_by(services: Services) -> dict[str, str | None]:
    with services.db.session() as session:
        return {
            a.labels["device"]: a.suppressed_by
            for a in session.scalars(select(Alert).where(Alert.state == "firing"))
        }


async def test_a_core_switch_down_on_one_instance_suppresses_the_alerts_behind_it_on_another(
    make_engine: EngineFactory, estate: Estate, services: Services, clock: ManualClock, hook: HttpReceiver
) -> None:
    """The access switch depends on the core switch, whose bus partition another instance leads:
    the core's firing unreachable alert, read from the shared database, suppresses the access
    switch's here, and only the root cause is notified."""
    save_routing(services, webhook_routing(hook, group_wait="10s", group_interval="0s"))
    partitions, core_side, other_side = split(estate)
    a = clustered(make_engine, UNREACHABLE, partitions)
    b = clustered(make_engine, UNREACHABLE, partitions)
    await a.lead(core_side)
    await b.lead(other_side)
    for _ in range(2):  # the core stops answering; a owns it
        clock.advance(10)
        await a.consume_samples(unreachable(estate.core, False))
    await a.tick()
    await b.tick()  # b reads the devices down elsewhere
    assert b.suppressor.down_elsewhere == {estate.core}
    for _ in range(2):  # then the access switch behind it; b owns it
        clock.advance(1)
        await b.consume_samples(unreachable(estate.access, False))
    await b.tick()
    assert suppressed_by(services) == {"sw-core-01": None, "sw-access-01": "sw-core-01 unreachable"}
    clock.advance(20)  # past the group wait
    for engine in (a, b):
        await engine.tick()
        await engine.deliver()
    assert notices(hook) == [("firing", "sw-core-01")]  # the root cause only

    # The core answers again: once b has read that, the access switch's alert is its own.
    clock.advance(10)
    await a.consume_samples(unreachable(estate.core, True))
    await a.tick()
    clock.advance(b.options.down_elsewhere_seconds)
    await b.tick()
    assert b.suppressor.down_elsewhere == frozenset()
    assert suppressed_by(services) == {"sw-access-01": None}
