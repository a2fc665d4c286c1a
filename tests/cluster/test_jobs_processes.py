"""Two `eams serve` processes on one PostgreSQL database: the collectors' watch (a job that must
run once, `collectors.watch`) announces a silent collector from one instance only; that instance
is killed with SIGKILL and the other announces the next silence. Prints the takeover time."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.remote.models import RemoteCollector
from inventory.db import Database
from tests.support.database import TEST_DATABASE_ENV, backend, scratch_database_url
from tests.support.serve import Served, serving

CLAIMED = "this instance now runs the cluster job collectors.watch"


def silent(name: str) -> str:
    return f"remote collector {name} is silent"


def wait(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """A readiness wait with a generous ceiling, not a timed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.1)


def add_silent_collector(db: Database, name: str) -> None:
    with db.session() as session:
        session.add(RemoteCollector(name=name, last_seen=datetime.now(UTC) - timedelta(minutes=10)))


def test_a_job_runs_on_one_instance_and_on_the_other_after_a_kill(tmp_path: Path) -> None:
    if backend() != "postgresql":
        pytest.skip(f"two service instances need PostgreSQL: set {TEST_DATABASE_ENV}")
    with scratch_database_url(tmp_path) as database_url, ExitStack() as stack:
        served: dict[str, Served] = {}
        for name in ("a", "b"):
            served[name] = stack.enter_context(
                serving(
                    tmp_path, name, database_url, EAMS_COLLECTOR_SILENT_AFTER="60",
                    EAMS_COLLECTOR_CHECK_INTERVAL="0.2",
                )
            )  # fmt: skip

        def text(name: str) -> str:
            return served[name].log()

        db = Database(database_url)
        try:
            wait(lambda: any(CLAIMED in text(n) for n in served), "one instance runs the watch")
            [holder] = [n for n in served if CLAIMED in text(n)]
            [other] = [n for n in served if n != holder]
            add_silent_collector(db, "dong-anh")
            wait(lambda: silent("dong-anh") in text(holder), "the holder announces the silence")
            time.sleep(1.0)  # five more rounds on both instances: room for a second announcement
            assert sum(text(n).count(silent("dong-anh")) for n in served) == 1
            assert CLAIMED not in text(other)  # it skipped every round

            served[holder].kill()
            killed = time.monotonic()
            add_silent_collector(db, "soc-son")
            wait(lambda: silent("soc-son") in text(other), "the other instance announces the next one")
            print(f"the watch moved {time.monotonic() - killed:.2f} s after kill -9 (rounds every 0.2 s)")
            assert CLAIMED in text(other) and silent("dong-anh") not in text(other)
            assert "Traceback" not in text(other)
        finally:
            db.dispose()
