"""SharedSettle: one sinks flush serves every fetch that waits for it at the same time, and no
caller returns before a flush that began after it asked (its samples are in that flush)."""

from __future__ import annotations

import asyncio

import pytest

from collectors.bus.settle import SharedSettle


class Flushes:
    """Stands for the sinks: each flush takes what was handed in before it began."""

    def __init__(self) -> None:
        self.handed_in = 0  # samples given to the sinks so far
        self.durable = 0  # samples a finished flush covers
        self.began: list[int] = []
        self.gate = asyncio.Event()
        self.fail_next = False

    async def flush(self) -> None:
        covers = self.handed_in
        self.began.append(covers)
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        self.durable = max(self.durable, covers)


async def test_fetches_waiting_together_share_one_flush_and_each_is_covered() -> None:
    sinks = Flushes()
    settle = SharedSettle(sinks.flush)
    covered: list[bool] = []

    async def fetch() -> None:
        sinks.handed_in += 1
        mine = sinks.handed_in
        await settle()
        covered.append(sinks.durable >= mine)

    first = asyncio.create_task(fetch())
    await asyncio.sleep(0)  # the first flush is running, holding one sample
    others = [asyncio.create_task(fetch()) for _ in range(15)]
    await asyncio.sleep(0)
    sinks.gate.set()
    await asyncio.gather(first, *others)
    assert covered == [True] * 16
    assert settle.calls == 16 and settle.runs == 2  # not 16 flushes
    assert sinks.began == [1, 16]


async def test_a_caller_after_a_flush_began_is_not_served_by_it() -> None:
    sinks = Flushes()
    settle = SharedSettle(sinks.flush)
    sinks.handed_in = 1
    running = asyncio.create_task(settle())
    await asyncio.sleep(0)
    sinks.handed_in = 2  # handed in after the running flush took its share
    late = asyncio.create_task(settle())
    await asyncio.sleep(0)
    sinks.gate.set()
    await running
    await late
    assert settle.runs == 2 and sinks.durable == 2


async def test_a_failed_flush_fails_its_caller_and_the_waiting_ones_flush_again() -> None:
    sinks = Flushes()
    settle = SharedSettle(sinks.flush)
    sinks.fail_next = True
    sinks.handed_in = 1
    failing = asyncio.create_task(settle())
    await asyncio.sleep(0)
    sinks.handed_in = 2
    waiting = asyncio.create_task(settle())
    await asyncio.sleep(0)
    sinks.gate.set()
    with pytest.raises(OSError):
        await failing
    await waiting  # its own flush, which succeeded
    assert settle.runs == 2 and sinks.durable == 2
