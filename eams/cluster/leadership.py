"""Leadership of the bus partitions through PostgreSQL session advisory locks.

Each instance holds one connection of its own and tries `pg_try_advisory_lock(class, partition)`
for every partition nobody holds, every `interval_s`; the partitions it got are the ones it
consumes (and so the devices its alert engine evaluates). PostgreSQL releases a session's locks
when the session ends, so when an instance dies (kill -9, a crash, a lost machine) its
partitions are free at once (or after TCP keepalive, ~15 s, for a machine that vanished) and the
others take them at their next try: failover within `interval_s` plus that.

If this instance's own connection fails, it gives up every partition at once (it can no longer
prove it holds them) and tries again with a new connection.

Greedy on purpose: the first instance leads every partition and the others stand by; an
instance can be capped (`max_partitions`) to share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The first key of the two-key advisory lock form: our partitions never meet another lock.
LOCK_CLASS = zlib.crc32(b"eams.bus.partition") & 0x7FFFFFFF
# A vanished peer machine is noticed by TCP keepalive, not only by a closed socket.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}

OnChange = Callable[[frozenset[int]], Awaitable[None]]


def supports_leadership(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


class PartitionLeadership:
    name = "partition leadership"

    def __init__(
        self,
        database_url: str,
        partitions: int,
        on_change: OnChange,
        *,
        interval_s: float = 2.0,
        max_partitions: int | None = None,
    ) -> None:
        self.engine = create_engine(database_url, poolclass=NullPool, connect_args=KEEPALIVE)
        self.partitions = partitions
        self.on_change = on_change
        self.interval_s = interval_s
        self.max_partitions = max_partitions
        self.held: frozenset[int] = frozenset()
        self.losses = 0  # times the own connection failed and every partition was given up
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._changed(frozenset())
        await asyncio.to_thread(self._close)  # the session ends: the locks are free for the others
        self.engine.dispose()

    async def try_once(self) -> frozenset[int]:
        """One round: keep what is held, take what is free (a worker thread: it blocks)."""
        try:
            held = await asyncio.to_thread(self._acquire)
        except (OperationalError, DBAPIError) as error:
            log.warning("lost the database connection that holds the partitions (%s)", error)
            self.losses += 1
            await asyncio.to_thread(self._close)
            held = frozenset()
        await self._changed(held)
        return held

    async def _run(self) -> None:
        while True:
            await self.try_once()
            await asyncio.sleep(self.interval_s)

    async def _changed(self, held: frozenset[int]) -> None:
        if held != self.held:
            # A warning, so that it shows with the service's default logging: a takeover is
            # something the operator should see.
            log.warning("leading bus partitions %s (was %s)", sorted(held), sorted(self.held))
            self.held = held
            await self.on_change(held)

    def _acquire(self) -> frozenset[int]:
        if self._connection is None:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        connection = self._connection
        connection.execute(text("SELECT 1"))  # the session that holds the locks is still alive
        held = set(self.held)
        for partition in range(self.partitions):
            if partition in held:
                continue
            if self.max_partitions is not None and len(held) >= self.max_partitions:
                break
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:cls, :partition)"),
                {"cls": LOCK_CLASS, "partition": partition},
            ).scalar()
            if got:
                held.add(partition)
        return frozenset(held)

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
