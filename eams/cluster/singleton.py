"""A job that one instance of the cluster does at a time: a PostgreSQL session advisory lock.

`ClusterLock.hold()` is asked before each round of the job: it keeps the lock (proving with one
query that the session holding it is alive) or tries to take it. The session is the instance's
own (NullPool, TCP keepalive), so an instance that dies (kill -9, a crash) frees the lock at once
and a machine that vanishes frees it within the keepalive (about 15 s); the next `hold()` of
another instance takes it. An instance whose connection fails stops at once: it can no longer
prove that it holds the lock.

Blocking (a database round trip): call it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import zlib

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from eams.cluster.leadership import KEEPALIVE

log = logging.getLogger(__name__)

# The first key of the two-key advisory lock form, apart from the bus partitions' class.
LOCK_CLASS = zlib.crc32(b"eams.cluster.singleton") & 0x7FFFFFFF


class ClusterLock:
    def __init__(self, database_url: str, job: str) -> None:
        self.job = job
        self.key = zlib.crc32(job.encode()) & 0x7FFFFFFF
        self.engine = create_engine(database_url, poolclass=NullPool, connect_args=KEEPALIVE)
        self.held = False
        self._connection: Connection | None = None

    def hold(self) -> bool:
        """Whether this instance does the job now (keeps the lock, or takes it if it is free)."""
        try:
            if self._connection is None:
                self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if self.held:
                self._connection.execute(text("SELECT 1"))  # the session holding the lock lives
            else:
                got = self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:cls, :key)"), {"cls": LOCK_CLASS, "key": self.key}
                ).scalar()
                if got:
                    # A warning, as for partitions: which instance does the job is worth seeing.
                    log.warning("this instance now does %s for the cluster", self.job)
                self.held = bool(got)
        except (OperationalError, DBAPIError) as error:
            if self.held:
                log.warning("gave up %s: lost the database connection holding its lock (%s)", self.job, error)
            self.close()
        return self.held

    def close(self) -> None:
        """Ends the session: the lock is free for the others."""
        self.held = False
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def dispose(self) -> None:
        self.close()
        self.engine.dispose()
