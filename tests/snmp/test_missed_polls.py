"""Missed polls are counted from each device's timetable: a stretch in which the event loop was
blocked counts every slot that had no poll, and a poll that starts late counts as missed too
(the scheduler's own events coalesce such a stretch into a single run and report none of it)."""

from __future__ import annotations

import asyncio
import time

from collectors.samples import Sample
from collectors.scheduler import DeviceSchedule, PollScheduler
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import DeviceStatus, Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from tests.support.snmp_agents import Agent


def schedule(interval_s: float = 5) -> DeviceSchedule:
    return DeviceSchedule(PollTarget("sw", Endpoint("127.0.0.1", 161), Credentials(), interval_s=interval_s))


def test_slots_without_a_poll_and_late_starts_count_as_missed() -> None:
    device = schedule(5)
    device.anchor = 1000.0
    device.started(1000.0)
    assert device.missed == 0
    device.started(1005.02)
    assert device.missed == 0, "on time"
    device.started(1030.0)
    assert device.missed == 4, "slots 2, 3, 4 and 5 had no poll"
    device.started(1037.0)
    assert device.missed == 5, "slot 7 started 2 s late"
    device.started(1039.0)
    assert device.missed == 5, "a second start in slot 7 counts nothing"
    device.started(1040.0)
    assert device.missed == 5


def test_skips_the_scheduler_reported_are_not_counted_twice() -> None:
    device = schedule(1)
    device.anchor = 0.0
    device.started(0.0)
    device.reported_missed()
    device.reported_missed()  # slots 1 and 2: the previous poll was still running
    device.started(3.0)
    assert device.missed == 2


async def test_a_blocked_event_loop_counts_every_poll_it_prevented(snmpd: Agent) -> None:
    statuses: list[int] = []

    async def publish(samples: list[Sample]) -> None:
        return None

    async def status_sink(status: DeviceStatus, missed: int) -> None:
        statuses.append(missed)

    scheduler = PollScheduler(
        Poller(make_engine("snmpkit"), ProfileSet.load()), publish, status_sink=status_sink, spread=False
    )
    target = PollTarget("sw", Endpoint(snmpd.host, snmpd.port), Credentials(), interval_s=1)
    await scheduler.start()
    scheduler.sync([target])
    try:
        while not statuses:
            await asyncio.sleep(0.05)
        time.sleep(4.5)  # blocking work on the loop (what this issue is about): 4 slots pass
        while len(statuses) < 2:
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
    assert statuses[0] == 0
    assert statuses[1] >= 4, statuses
