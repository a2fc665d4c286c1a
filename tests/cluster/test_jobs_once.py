"""Scheduled jobs run once across service instances on one PostgreSQL database
(`eams.cluster.singleton`): a job due on two instances runs on one; when its holder stops or is
killed with SIGKILL the other runs the next round. Discovery jobs are claimed in the database.
Needs EAMS_TEST_DATABASE_URL on PostgreSQL; on SQLite only one instance runs (RunHere)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from collectors.context import CollectorContext
from collectors.discovery.jobs import DiscoveryJobs, job_lock
from collectors.discovery.models import DiscoveryJob, JobState
from collectors.discovery.sweep import SweepSettings
from collectors.pipeline import Pipeline
from collectors.remote.config import CollectorWatchConfig
from collectors.remote.models import RemoteCollector
from collectors.remote.watch import CollectorWatch
from collectors.samples import Event
from collectors.singleton import RunHere, run_once
from collectors.ssh.collector import SshCollector
from collectors.ssh.config import SshConfig
from collectors.ssh.scheduler import SshSchedule
from eams.api.app import create_app
from eams.auth.tokens import create_token
from eams.cluster.singleton import AdvisoryLockSingletons
from eams.components import Components
from eams.components.cluster import cluster_jobs_component
from eams.components.remote import collector_watch_component
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from inventory.models.enums import Role
from inventory.secretbox import SecretBox
from tests.conftest import auth
from tests.support.database import TEST_DATABASE_ENV, backend

needs_postgresql = pytest.mark.skipif(
    backend() != "postgresql",
    reason=f"several instances share only PostgreSQL (advisory locks): set {TEST_DATABASE_ENV}",
)

# Another instance: runs the job `backup` whenever it holds it, every 0.1 s, and says so.
INSTANCE = """
import asyncio, sys
from collectors.singleton import run_once
from eams.api.app import create_app
from eams.auth.tokens import create_token
from eams.cluster.singleton import AdvisoryLockSingletons

async def main():
    singletons = AdvisoryLockSingletons(sys.argv[1])
    async def job():
        print("ran", flush=True)
    while True:
        await run_once(singletons, "backup", job)
        await asyncio.sleep(0.1)

asyncio.run(main())
"""


class Events:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)


def wait_for(condition: object, what: str, ceiling_s: float = 60.0) -> None:
    deadline = time.monotonic() + ceiling_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


async def test_alone_every_job_runs_here_and_is_counted() -> None:
    alone = RunHere()
    ran: list[str] = []

    async def job() -> None:
        ran.append("job")

    assert await run_once(alone, "prune", job) and await run_once(alone, "prune", job)
    assert ran == ["job", "job"] and alone.ran["prune"] == 2 and not alone.skipped


async def test_on_sqlite_the_service_keeps_running_every_job_itself(services: Services) -> None:
    if backend() == "postgresql":
        pytest.skip("the SQLite path: one instance")
    assert cluster_jobs_component(services) is None and isinstance(services.singletons, RunHere)


@needs_postgresql
async def test_a_job_due_on_two_instances_runs_once_and_the_other_runs_it_after_a_kill(
    db: Database, tmp_path: Path
) -> None:
    log_path = tmp_path / "instance.log"
    with open(log_path, "wb") as log:
        other = subprocess.Popen(
            [sys.executable, "-c", INSTANCE, db.url], stdout=log, stderr=subprocess.STDOUT
        )
    here = AdvisoryLockSingletons(db.url)
    ran_here: list[float] = []

    async def job() -> None:
        ran_here.append(time.monotonic())

    try:
        wait_for(lambda: "ran" in log_path.read_text(), "the other instance's first run")
        for _ in range(5):  # due here as well, five times: the other instance runs it
            assert await run_once(here, "backup", job) is False
        assert ran_here == [] and here.skipped["backup"] == 5
        assert await run_once(here, "another job", job)  # a different job is free

        os.kill(other.pid, signal.SIGKILL)
        other.wait(10)
        runs_before_kill = log_path.read_text().count("ran")
        killed = time.monotonic()
        while not await run_once(here, "backup", job):
            assert time.monotonic() - killed < 60, "the job never came to the survivor"
            await asyncio.sleep(0.1)
        print(f"the survivor ran the job {time.monotonic() - killed:.2f} s after kill -9")
        assert log_path.read_text().count("ran") == runs_before_kill  # the dead one ran no more
        assert await run_once(here, "backup", job)  # and it keeps it
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(10)
        here.close()


async def watching_instance(settings: Settings, db: Database, heard: Events) -> tuple[Services, Components]:
    """A service on the shared database, wired as `eams serve` wires it, with the collectors' watch
    (checked by hand: its own rounds are an hour apart); `heard` gets its events."""
    watch_config = CollectorWatchConfig(silent_after=60, check_interval=3600)
    services = Services.from_settings(settings.model_copy(update={"collector": watch_config}), db=db)
    services.pipeline.add_event_consumer(heard)
    components = Components(services, [cluster_jobs_component, collector_watch_component])
    await components.start()
    return services, components


@needs_postgresql
async def test_the_collectors_watch_announces_a_silence_once_and_moves_when_its_holder_stops(
    settings: Settings, db: Database
) -> None:
    """Two services on one database, wired as `eams serve` wires them."""
    heard = [Events(), Events()]
    instances = [await watching_instance(settings, db, events) for events in heard]
    watches = [components.running[-1] for _, components in instances]
    assert all(isinstance(watch, CollectorWatch) for watch in watches)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    try:
        with db.session() as session:
            session.add(RemoteCollector(name="dong-anh", last_seen=long_ago))
        # The round is due on both instances, twice: one checks, the other skips.
        checked = [await watch.check_if_ours() for watch in watches for _ in range(2)]
        assert checked == [True, True, False, False]
        assert [[e.name for e in events.events] for events in heard] == [["silent"], []]
        assert instances[1][0].singletons.skipped["collectors.watch"] == 2

        await instances[0][1].stop()  # the holder stops: its session ends
        with db.session() as session:
            session.add(RemoteCollector(name="soc-son", last_seen=long_ago))
        assert await watches[1].check_if_ours()
        assert [e.labels["collector"] for e in heard[1].events] == ["soc-son"]
        assert len(heard[0].events) == 1
    finally:
        for _, components in instances:
            await components.stop()


@needs_postgresql
async def test_a_silent_collector_heard_by_another_instance_is_said_back_by_the_watching_one(
    settings: Settings, db: Database
) -> None:
    """Behind a load balancer the collector's next heartbeat may reach the instance that does not
    watch: that one leaves the silence to the watch, whose next round says `back` where the
    `silent` was said, so the alert resolves on the engine that raised it."""
    heard = [Events(), Events()]
    instances = [await watching_instance(settings, db, events) for events in heard]
    watching, other = (components.running[-1] for _, components in instances)
    assert isinstance(watching, CollectorWatch) and isinstance(other, CollectorWatch)
    with db.session() as session:
        _, token = create_token(session, name="dong-anh", role=Role.collector)
    heartbeat_elsewhere = TestClient(create_app(instances[1][0], background=False))
    try:
        assert await watching.check_if_ours()  # instance 0 runs the watch from now on
        answer = heartbeat_elsewhere.put("/api/v1/collectors/dong-anh", json={}, headers=auth(token))
        assert answer.status_code == 200, answer.text
        with db.session() as session:
            session.execute(
                update(RemoteCollector).values(last_seen=datetime.now(UTC) - timedelta(minutes=5))
            )
        assert await watching.check_if_ours()
        assert [e.name for e in heard[0].events] == ["silent"]

        answer = heartbeat_elsewhere.put("/api/v1/collectors/dong-anh", json={}, headers=auth(token))
        assert answer.status_code == 200 and answer.json()["silent"] is True  # not said here
        assert heard[1].events == []
        assert not await other.check_if_ours()
        assert await watching.check_if_ours()
        assert [e.name for e in heard[0].events] == ["silent", "back"]
        assert heard[1].events == []
        with db.session() as session:
            assert session.scalar(select(RemoteCollector.silent)) is False
    finally:
        heartbeat_elsewhere.close()
        for _, components in instances:
            await components.stop()


@needs_postgresql
async def test_scheduled_ssh_backups_run_on_one_instance(db: Database) -> None:
    first, second = AdvisoryLockSingletons(db.url), AdvisoryLockSingletons(db.url)
    settings = SshConfig()
    context = CollectorContext(db, SecretBox("k" * 32), Pipeline())
    schedules = [SshSchedule(SshCollector(context, settings), settings, s) for s in (first, second)]
    try:
        for schedule in schedules + schedules:
            await schedule._tracked(SshSchedule.BACKUP_JOB, schedule.backup_all)
        assert (first.ran["ssh.backup"], first.skipped["ssh.backup"]) == (2, 0)
        assert (second.ran["ssh.backup"], second.skipped["ssh.backup"]) == (0, 2)
    finally:
        for schedule in schedules:
            schedule.collector.close(True)
        first.close()
        second.close()


@needs_postgresql
async def test_a_discovery_job_runs_on_one_instance_and_an_orphan_is_marked_interrupted(
    db: Database,
) -> None:
    first, second = AdvisoryLockSingletons(db.url), AdvisoryLockSingletons(db.url)
    instances = [DiscoveryJobs(db, first), DiscoveryJobs(db, second)]
    try:
        with db.session() as session:
            job = DiscoveryJob(state=JobState.queued, ranges=["192.0.2.1"], total=0, results={})
            session.add(job)
            session.flush()
            job_id = job.id
        # Both instances try to run the same queued job at once: one sweeps, once.
        ran = await asyncio.gather(
            *(jobs._claimed(job_id, [], [], SweepSettings(), "discovery:test") for jobs in instances)
        )
        assert sorted(ran) == [False, True]
        with db.session() as session:
            state = session.scalar(select(DiscoveryJob.state).where(DiscoveryJob.id == job_id))
            assert state is JobState.finished

        # A job the first instance runs (it holds its lock) is left alone by the second ...
        with db.session() as session:
            running = DiscoveryJob(state=JobState.running, ranges=["192.0.2.2"], total=1, results={})
            session.add(running)
            session.flush()
            running_id = running.id
        assert await first.claim(job_lock(running_id))
        assert await instances[1].mark_interrupted() == 0
        # ... until the first one dies: then the second marks it interrupted.
        first.close()
        assert await instances[1].mark_interrupted() == 1
        with db.session() as session:
            row = session.get(DiscoveryJob, running_id)
            assert row is not None and row.state is JobState.interrupted
    finally:
        first.close()
        second.close()


@needs_postgresql
async def test_the_service_takes_its_cluster_locks_first_and_frees_them_when_it_stops(
    services: Services,
) -> None:
    components = Components(services, [cluster_jobs_component])
    await components.start()
    try:
        singletons = services.singletons
        assert isinstance(singletons, AdvisoryLockSingletons)
        assert await singletons.claim("traps.prune")
        other = AdvisoryLockSingletons(services.db.url)
        try:
            assert not await other.claim("traps.prune")
            await components.stop()
            assert await other.claim("traps.prune")
        finally:
            other.close()
    finally:
        await components.stop()
