"""Two `eams serve` processes on one PostgreSQL database: the collectors' watch (a job that must
run once, `collectors.watch`) announces a silent collector from one instance only; that instance
is killed with SIGKILL and the other announces the next silence. Prints the takeover time."""

from __future__ import annotations

import os
import signal
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.remote.models import RemoteCollector
from inventory.db import Database
from tests.remote.test_remote_collector_process import EAMS, clean_env
from tests.support.database import TEST_DATABASE_ENV, backend, scratch_database_url
from tests.support.peers import free_port, running, tcp_open

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
        logs: dict[str, Path] = {}
        processes = {}
        for name in ("a", "b"):
            port = free_port()
            env = clean_env(
                EAMS_DATA_DIR=str(tmp_path / name), EAMS_DATABASE_URL=database_url,
                EAMS_SECRET_KEY="shared-secret-key", EAMS_COLLECTOR_SILENT_AFTER="60",
                EAMS_COLLECTOR_CHECK_INTERVAL="0.2",
            )  # fmt: skip
            logs[name] = tmp_path / f"serve-{name}.log"
            processes[name] = stack.enter_context(
                running(
                    [EAMS, "serve", "--port", str(port)],
                    ready=lambda port=port: tcp_open("127.0.0.1", port),
                    what=f"eams serve {name}",
                    log_path=logs[name],
                    env=env,
                    timeout=60,
                )
            )

        def text(name: str) -> str:
            return logs[name].read_text(errors="replace")

        db = Database(database_url)
        try:
            wait(lambda: any(CLAIMED in text(n) for n in logs), "one instance runs the watch")
            [holder] = [n for n in logs if CLAIMED in text(n)]
            [other] = [n for n in logs if n != holder]
            add_silent_collector(db, "dong-anh")
            wait(lambda: silent("dong-anh") in text(holder), "the holder announces the silence")
            time.sleep(1.0)  # five more rounds on both instances: room for a second announcement
            assert sum(text(n).count(silent("dong-anh")) for n in logs) == 1
            assert CLAIMED not in text(other)  # it skipped every round

            os.killpg(processes[holder].pid, signal.SIGKILL)
            processes[holder].wait(10)
            killed = time.monotonic()
            add_silent_collector(db, "soc-son")
            wait(lambda: silent("soc-son") in text(other), "the other instance announces the next one")
            print(f"the watch moved {time.monotonic() - killed:.2f} s after kill -9 (rounds every 0.2 s)")
            assert CLAIMED in text(other) and silent("dong-anh") not in text(other)
            assert "Traceback" not in text(other)
        finally:
            db.dispose()
