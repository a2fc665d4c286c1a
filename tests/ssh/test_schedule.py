"""The service component: scheduled backups and Linux polls, interval from the settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.ssh.collector import SshCollector
from collectors.ssh.models import ConfigVersion
from eams.components import COMPONENT_FACTORIES
from eams.components.ssh import SshComponent, ssh_component
from eams.services import Services
from eams.settings import Settings
from tests.ssh.conftest import Recorder, SshServer, linux_server


def test_the_component_is_registered_and_can_be_switched_off(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ssh_component in COMPONENT_FACTORIES
    monkeypatch.setenv("EAMS_SSH_ENABLED", "false")
    services.settings = Settings(data_dir=services.settings.data_dir, secret_key="k")
    assert ssh_component(services) is None


async def test_intervals_come_from_the_settings_and_jobs_do_their_work(
    services: Services,
    collector: SshCollector,
    recorder: Recorder,
    ssh_server: SshServer,
    login_key: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EAMS_SSH_BACKUP_INTERVAL_S", "900")
    monkeypatch.setenv("EAMS_SSH_METRICS_INTERVAL_S", "30")
    services.settings = Settings(data_dir=services.settings.data_dir, secret_key="k")
    linux_server(services, ssh_server, login_key)
    component = ssh_component(services)
    assert isinstance(component, SshComponent)
    schedule = component.schedule

    await component.start()
    try:
        jobs = {job.id: job.trigger.interval.total_seconds() for job in schedule.scheduler.get_jobs()}
        assert jobs == {"ssh-backup": 900, "ssh-linux": 30}
        # Run both jobs now rather than wait for their first interval.
        await schedule.backup_all()
        await schedule.poll_linux()
    finally:
        await component.stop()

    with services.db.session() as session:
        assert session.scalars(select(ConfigVersion.version)).all() == [1]
    assert {sample.measurement for sample in recorder.samples} >= {"linux_cpu", "linux_mem"}


async def test_stop_ends_a_running_job_so_nothing_is_published_after_the_sinks_stop(
    services: Services,
    collector: SshCollector,
    recorder: Recorder,
    ssh_server: SshServer,
    login_key: Path,
) -> None:
    # Components stop producers first, then the sinks: a job still running after its stop()
    # would publish into a stopped sink. So stop() must return only once its jobs have ended.
    linux_server(services, ssh_server, login_key)
    component = ssh_component(services)
    assert isinstance(component, SshComponent)
    schedule = component.schedule
    before = asyncio.all_tasks()
    await component.start()
    schedule.scheduler.modify_job("ssh-linux", next_run_time=datetime.now(UTC))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not (jobs := asyncio.all_tasks() - before):  # a readiness wait, not a timed assertion
        assert loop.time() < deadline, "the Linux poll did not start"
        await asyncio.sleep(0.01)
    await component.stop()
    assert all(job.done() for job in jobs)
