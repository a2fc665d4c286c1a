"""One settle shared by every partition's fetch loop.

Each fetch waits for the sinks to hold its samples durably before it acknowledges them. With 16
partitions fetching at once, a flush per fetch would be 16 small InfluxDB writes where one would
do: a fetch that arrives while a flush runs waits for the next one instead, and shares it with
every other fetch that arrived meanwhile (a group commit). The next flush starts after the running
one ended, so it covers whatever those fetches handed to the sinks before they asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Settle = Callable[[], Awaitable[None]]


class SharedSettle:
    def __init__(self, settle: Settle) -> None:
        self._settle = settle
        self._lock = asyncio.Lock()
        self._started = 0  # settles begun
        self._finished = 0  # the newest settle that ended well, by its number
        self.runs = 0  # settles run (each may serve several callers)
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        # A settle that begins after this point covers what the caller handed on before it.
        wanted = self._started + 1
        async with self._lock:
            if self._finished >= wanted:
                return  # another caller's settle began after ours was asked for, and ended well
            self._started += 1
            number = self._started
            self.runs += 1
            await self._settle()  # raising: the callers still waiting try again themselves
            self._finished = number
