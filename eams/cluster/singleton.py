"""Scheduled jobs once per cluster: a PostgreSQL session advisory lock per job name.

The first instance that claims a job (`pg_try_advisory_lock(class, crc32(name))` on a connection
it keeps for these locks) holds it for as long as it lives, and runs every round of that job; the
others' claims fail and they skip their rounds (counted in `skipped`, never queued). When the
holder stops (its connection is closed) or dies (kill -9, a crash: PostgreSQL ends the session;
a vanished machine: TCP keepalive, ~15 s) the lock is free, and the next instance whose round
comes claims it and runs from then on.

Held rather than taken per run (`pg_try_advisory_xact_lock`): a lock per run only keeps two runs
from overlapping, and two instances whose timers are out of phase would still each run the job
once per period. A held lock makes one instance the job's runner, as partition leadership
(`eams.cluster.leadership`) does for the bus.

Before every claim the session is checked (`SELECT 1`): an instance whose connection failed no
longer proves that it holds anything, so it forgets every job and claims anew on a new session.
A round that was already running when the connection failed finishes; the next round is the
new holder's. On SQLite there is one instance, and `collectors.singleton.RunHere` serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import zlib
from collections import Counter

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from eams.cluster.leadership import KEEPALIVE

log = logging.getLogger(__name__)

# The first key of the two-key advisory lock form: job locks never meet the partitions' locks.
LOCK_CLASS = zlib.crc32(b"eams.cluster.singleton") & 0x7FFFFFFF


def lock_key(name: str) -> int:
    """The second key: CRC-32 of the name, as a signed 32-bit integer (what PostgreSQL takes)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


class AdvisoryLockSingletons:
    """`Singletons` for several instances on one PostgreSQL database."""

    name = "cluster jobs"

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url, poolclass=NullPool, connect_args=KEEPALIVE)
        self.ran: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.held: set[str] = set()
        self.losses = 0  # times the own connection failed and every job was given up
        self._connection: Connection | None = None
        # Jobs claim from worker threads; one connection serves them all, one at a time.
        self._lock = threading.Lock()

    async def claim(self, name: str) -> bool:
        return await asyncio.to_thread(self.claim_now, name)

    async def release(self, name: str) -> None:
        await asyncio.to_thread(self.release_now, name)

    def holds(self, name: str) -> bool:
        return name in self.held

    def claim_now(self, name: str) -> bool:
        """The blocking claim (a worker thread, or code already off the event loop)."""
        with self._lock:
            try:
                connection = self._session()
                connection.execute(text("SELECT 1"))  # the session that holds the locks lives
                if name in self.held:
                    return True
                got = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:cls, :key)"),
                        {"cls": LOCK_CLASS, "key": lock_key(name)},
                    ).scalar()
                )
            except (OperationalError, DBAPIError) as error:
                if self.held:
                    log.warning("lost the connection that holds jobs %s (%s)", sorted(self.held), error)
                self.losses += 1
                self._close()
                return False
            if got:
                self.held.add(name)
                # A warning, so that it shows with the default logging: where a job runs matters.
                log.warning("this instance now runs the cluster job %s", name)
            return got

    def release_now(self, name: str) -> None:
        with self._lock:
            if name not in self.held:
                return
            self.held.discard(name)
            if self._connection is None:
                return
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:cls, :key)"), {"cls": LOCK_CLASS, "key": lock_key(name)}
                )
            except (OperationalError, DBAPIError):
                self._close()  # the session is gone, and its locks with it

    async def start(self) -> None:
        return None  # the connection is opened by the first claim

    async def stop(self) -> None:
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Give every job up at once: the session ends, the others claim at their next round."""
        with self._lock:
            self._close()
        self.engine.dispose()

    def _session(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def _close(self) -> None:
        self.held.clear()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


class JobLock:
    """One job of `singletons` asked from a worker thread before each of its passes (the alert
    engine's outbox delivery): `hold()` keeps the job or takes it if it is free, `dispose()` gives
    it up (and ends the session too when this lock was made with singletons of its own)."""

    def __init__(self, singletons: AdvisoryLockSingletons, job: str, *, owned: bool = False) -> None:
        self.singletons = singletons
        self.job = job
        self.owned = owned

    def hold(self) -> bool:
        return self.singletons.claim_now(self.job)

    def dispose(self) -> None:
        self.singletons.release_now(self.job)
        if self.owned:
            self.singletons.close()
