"""Partition leadership between service instances on a real PostgreSQL: one process leads, is
killed with SIGKILL, and the other takes every partition over; shares; a lost connection gives
everything up. Needs EAMS_TEST_DATABASE_URL on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from eams.cluster.leadership import LOCK_CLASS, PartitionLeadership, supports_leadership
from tests.support.database import TEST_DATABASE_ENV, backend, scratch_database_url

PARTITIONS = 8

LEADER = """
import asyncio, sys
from eams.cluster.leadership import PartitionLeadership

async def changed(held):
    print("held", len(held), flush=True)

async def main():
    leadership = PartitionLeadership(sys.argv[1], int(sys.argv[2]), changed, interval_s=0.2)
    await leadership.start()
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if backend() != "postgresql":
        pytest.skip(f"partition leadership needs PostgreSQL: set {TEST_DATABASE_ENV}")
    with scratch_database_url(tmp_path) as url:
        yield url


async def nothing(_held: frozenset[int]) -> None:
    return None


async def test_the_survivor_takes_every_partition_after_the_leader_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    assert supports_leadership(database_url) and not supports_leadership("sqlite:///x.sqlite3")
    log_path = tmp_path / "leader.log"
    with open(log_path, "wb") as log:
        leader = subprocess.Popen(
            [sys.executable, "-c", LEADER, database_url, str(PARTITIONS)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    survivor = PartitionLeadership(database_url, PARTITIONS, nothing, interval_s=0.2)
    try:
        deadline = time.monotonic() + 60
        while f"held {PARTITIONS}" not in log_path.read_text():
            assert leader.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        assert await survivor.try_once() == frozenset()  # all led by the other instance

        os.kill(leader.pid, signal.SIGKILL)
        leader.wait(10)
        killed = time.monotonic()
        while await survivor.try_once() != frozenset(range(PARTITIONS)):
            assert time.monotonic() - killed < 60, "no takeover"
            time.sleep(0.2)
        print(f"takeover {time.monotonic() - killed:.2f} s after kill -9 (interval 0.2 s)")
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait(10)
        await survivor.stop()


async def test_capped_instances_share_the_partitions_and_a_lost_session_gives_up_all(
    database_url: str,
) -> None:
    first = PartitionLeadership(database_url, PARTITIONS, nothing, max_partitions=3)
    second = PartitionLeadership(database_url, PARTITIONS, nothing)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        a = await first.try_once()
        b = await second.try_once()
        assert len(a) == 3 and len(b) == PARTITIONS - 3 and a | b == frozenset(range(PARTITIONS))

        # The second instance's session dies under it (a PostgreSQL restart, a failover):
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :cls AND objid = :partition"
                ),
                {"cls": LOCK_CLASS, "partition": min(b)},
            )
        assert await second.try_once() == frozenset() and second.losses == 1  # it cannot prove it leads
        assert await first.try_once() == a  # capped: it takes no more
        assert await second.try_once() == b  # a new session takes them back
    finally:
        await first.stop()
        await second.stop()
        admin.dispose()
