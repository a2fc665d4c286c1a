"""Schedules device polls with APScheduler 3 (`AsyncIOScheduler`).

Each device has its own interval job, started at a stable offset inside the interval (spread from
a hash of its name, so 5,000 devices do not all fire at second 0). A global semaphore bounds how
many polls run at once; a poll never waits for another device, so a dead device costs only its
own timeout. A device that does not answer is backed off (2x, 4x ... up to `max_backoff_s`).

Missed polls are counted from the polls' own timetable, not only from the scheduler's events
(which coalesce a stalled stretch into one run and report none of it): every slot of the device's
interval in which no poll started is missed, and so is a poll that started more than
`LATE_FRACTION` of an interval after its slot (the event loop was busy, all poll slots were taken,
or the previous poll of the device was still running).
The target list is re-read periodically, so devices added, changed or retired in the inventory
are picked up without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from collectors.samples import Sample
from collectors.snmp.poller import DeviceStatus, Poller, PollResult, PollTarget

log = logging.getLogger(__name__)

Publish = Callable[[list[Sample]], Awaitable[None]]
TargetSource = Callable[[], Awaitable[list[PollTarget]]]
StatusSink = Callable[[DeviceStatus, int], Awaitable[None]]

_JOB_PREFIX = "poll:"
LATE_FRACTION = 0.2  # a poll starting later than this share of its interval was not on time


@dataclass
class DeviceSchedule:
    target: PollTarget
    failures: int = 0
    not_before: float = 0.0  # monotonic time before which a backed-off device is skipped
    missed: int = 0
    polls: int = 0
    unanswered: int = 0  # polls the device did not answer
    skipped_backoff: int = 0
    anchor: float | None = None  # wall time (epoch s) of the device's first slot
    last_slot: int | None = None  # the last slot a poll started in
    reported: int = 0  # slots the scheduler reported missed since the last start (counted already)

    def reported_missed(self) -> None:
        """The scheduler skipped a run (the previous poll still running, or past its grace)."""
        self.missed += 1
        self.reported += 1

    def started(self, now: float) -> None:
        """A poll of this device starts at `now` (epoch s): count the slots it missed (a second
        start in a slot, e.g. a poll asked for by hand, counts nothing)."""
        interval = self.target.interval_s
        if self.anchor is None:
            self.anchor = now
        elapsed = now - self.anchor
        slot = max(0, math.floor(elapsed / interval + 0.01))  # timers fire a hair early at times
        if self.last_slot is not None and slot <= self.last_slot:
            return
        skipped = slot - self.last_slot - 1 if self.last_slot is not None else 0
        late = elapsed - slot * interval > LATE_FRACTION * interval
        self.missed += max(0, skipped - self.reported) + (1 if late else 0)
        self.reported = 0
        self.last_slot = slot


def spread_offset(name: str, interval_s: float) -> float:
    """A stable offset in [0, interval) from the device name."""
    return (zlib.crc32(name.encode()) % 10_000) / 10_000 * interval_s


class PollScheduler:
    def __init__(
        self,
        poller: Poller,
        publish: Publish,
        *,
        targets: TargetSource | None = None,
        status_sink: StatusSink | None = None,
        concurrency: int = 256,
        refresh_s: float = 60.0,
        max_backoff_s: float = 900.0,
        spread: bool = True,
    ) -> None:
        self.poller = poller
        self.publish = publish
        self.targets_source = targets
        self.status_sink = status_sink
        self.refresh_s = refresh_s
        self.max_backoff_s = max_backoff_s
        self.spread = spread
        self.semaphore = asyncio.Semaphore(concurrency)
        self.devices: dict[str, DeviceSchedule] = {}
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self.completed: int = 0
        self._round_done: asyncio.Event | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.scheduler.start()
        if self.targets_source is not None:
            self.scheduler.add_job(
                self.refresh,
                IntervalTrigger(seconds=self.refresh_s, timezone=UTC),
                id="refresh-targets",
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
            )

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # Polls under way end before their sessions are closed under them.
        for task in self._in_flight:
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.poller.close()

    async def refresh(self) -> None:
        assert self.targets_source is not None
        try:
            targets = await self.targets_source()
        except Exception:
            log.exception("reading the poll targets failed; keeping the current ones")
            return
        self.sync(targets)

    def sync(self, targets: list[PollTarget]) -> None:
        """Add, change and remove jobs so that exactly `targets` are polled."""
        wanted = {t.name: t for t in targets}
        for name in list(self.devices):
            if name not in wanted:
                self._remove(name)
        now = datetime.now(UTC)
        for name, target in wanted.items():
            current = self.devices.get(name)
            if current is not None and current.target == target:
                continue
            if current is not None:
                current.target = target
                self.scheduler.remove_job(_JOB_PREFIX + name)
            else:
                current = self.devices[name] = DeviceSchedule(target)
            offset = spread_offset(name, target.interval_s) if self.spread else 0.0
            current.anchor = (now + timedelta(seconds=offset)).timestamp()
            current.last_slot = None
            self.scheduler.add_job(
                self._poll_job,
                IntervalTrigger(
                    seconds=target.interval_s, start_date=now + timedelta(seconds=offset), timezone=UTC
                ),
                args=[name],
                id=_JOB_PREFIX + name,
                next_run_time=now + timedelta(seconds=offset),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(target.interval_s / 2)),
            )

    def _remove(self, name: str) -> None:
        self.devices.pop(name, None)
        job = self.scheduler.get_job(_JOB_PREFIX + name)
        if job is not None:
            job.remove()
        asyncio.get_running_loop().create_task(self.poller.forget(name))

    def _on_missed(self, event: JobExecutionEvent) -> None:
        job_id: str = event.job_id
        if job_id.startswith(_JOB_PREFIX):
            schedule = self.devices.get(job_id[len(_JOB_PREFIX) :])
            if schedule is not None:
                schedule.reported_missed()

    async def _poll_job(self, name: str) -> None:
        schedule = self.devices.get(name)
        if schedule is None:
            return
        schedule.started(time.time())
        if time.monotonic() < schedule.not_before:
            schedule.skipped_backoff += 1
            return
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self.poll_once(schedule)
        except asyncio.CancelledError:
            return  # stopping: the scheduler is being shut down
        finally:
            self._in_flight.discard(task)

    async def poll_once(self, schedule: DeviceSchedule) -> PollResult:
        async with self.semaphore:
            result = await self.poller.poll(schedule.target)
        schedule.polls += 1
        if result.status.reachable:
            schedule.failures = 0
            schedule.not_before = 0.0
        else:
            schedule.failures += 1
            schedule.unanswered += 1
            backoff = min(schedule.target.interval_s * (2 ** (schedule.failures - 1)), self.max_backoff_s)
            # The first failure keeps the normal interval; from the second on, skip ahead.
            if schedule.failures > 1:
                schedule.not_before = time.monotonic() + backoff
        try:
            await self.publish(result.samples)
        except Exception:
            log.exception("publishing samples of %s failed", name_of(schedule))
        if self.status_sink is not None:
            try:
                await self.status_sink(result.status, schedule.missed)
            except Exception:
                log.exception("saving the poll status of %s failed", name_of(schedule))
        self.completed += 1
        return result

    async def poll_all_once(self) -> list[PollResult]:
        """Poll every device now, concurrently (bounded by the semaphore): one full round."""
        return list(await asyncio.gather(*(self.poll_once(s) for s in self.devices.values())))

    @property
    def polls_in_flight(self) -> int:
        return len(self._in_flight)

    def stats(self) -> dict[str, Any]:
        return {
            "devices": len(self.devices),
            "polls": sum(s.polls for s in self.devices.values()),
            "missed": sum(s.missed for s in self.devices.values()),
            "unanswered": sum(s.unanswered for s in self.devices.values()),
            "backed_off": sum(1 for s in self.devices.values() if s.not_before > time.monotonic()),
        }


def name_of(schedule: DeviceSchedule) -> str:
    return schedule.target.name
