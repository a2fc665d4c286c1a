"""The SSH collector against a real OpenSSH server on loopback (device type linux)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.ssh.collector import DeviceOutcome, SshCollector, Want
from collectors.ssh.config import SshConfig
from collectors.ssh.errors import (
    AuthenticationFailed,
    ConnectTimeout,
    HostKeyChanged,
    HostUnreachable,
    UnknownPrompt,
)
from collectors.ssh.models import CommandOutput, ConfigBackupState, ConfigVersion, KnownHostKey
from eams.services import Services
from inventory.models import DiscoveredFact
from inventory.models.base import utcnow
from tests.ssh.conftest import Recorder, SshServer, add_device, keygen, linux_server
from tests.support.peers import free_port

pytestmark = pytest.mark.peer("sshd")


def meminfo_total_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


async def test_linux_metrics_carry_the_snmp_tags_and_real_values(
    services: Services, collector: SshCollector, recorder: Recorder, ssh_server: SshServer, login_key: Path
) -> None:
    device_id = linux_server(services, ssh_server, login_key)
    targets, problems = collector.targets([device_id])
    assert problems == []

    [outcome] = await collector.run(targets, Want(metrics=True))

    assert outcome.ok, outcome.summary()
    by_name = {sample.measurement: sample for sample in recorder.samples}
    assert {"linux_cpu", "linux_mem", "linux_system", "linux_disk"} <= set(by_name)
    expected_tags = {
        "device": "srv-portal-01",
        "role": "server",
        "site": "Trung tâm dữ liệu tỉnh",
        "agency": "Sở Khoa học và Công nghệ",  # the name, as in SNMP samples (inventory.device_tags)
    }
    for sample in recorder.samples:
        assert {key: sample.tags[key] for key in expected_tags} == expected_tags
        assert sample.device_id == device_id
    # The server is this machine: its memory is what /proc/meminfo says here.
    assert by_name["linux_mem"].fields["total"] == meminfo_total_bytes()
    cpu = by_name["linux_cpu"].fields
    # The parts are the whole second: nothing /proc/stat counts is left out (steal included).
    parts = ("usage_user", "usage_system", "usage_idle", "usage_iowait", "usage_steal")
    assert 99.9 <= sum(float(cpu[key]) for key in parts) <= 100.1
    disks = {
        sample.tags["mount"]: sample.fields
        for sample in recorder.samples
        if sample.measurement == "linux_disk"
    }
    assert "/" in disks and int(disks["/"]["total"]) > int(disks["/"]["used"]) > 0
    assert float(by_name["linux_system"].fields["uptime_s"]) > 0


async def test_facts_are_staged_with_raw_output_and_parser_name(
    services: Services, collector: SshCollector, ssh_server: SshServer, login_key: Path
) -> None:
    device_id = linux_server(services, ssh_server, login_key)
    targets, _ = collector.targets([device_id])

    [outcome] = await collector.run(targets, Want(facts=True, backup=True))

    assert outcome.ok, outcome.summary()
    pretty = next(
        line.split("=", 1)[1].strip('"')
        for line in Path("/etc/os-release").read_text().splitlines()
        if line.startswith("PRETTY_NAME=")
    )
    assert outcome.facts["firmware_version"] == pretty
    with services.db.session() as session:
        fact = session.scalars(select(DiscoveredFact).where(DiscoveredFact.field == "firmware_version")).one()
        assert (fact.kind.value, fact.state.value, fact.observed_value, fact.current_value) == (
            "changed_field",
            "pending",
            pretty,
            None,
        )
        kept = session.scalars(
            select(CommandOutput).where(CommandOutput.command == "cat /etc/os-release")
        ).one()
        assert "PRETTY_NAME" in kept.raw
        assert kept.parser == "eams:key_value" and kept.parser_version
        assert kept.parsed and kept.parsed[0]["pretty_name"] == pretty
        assert session.scalars(select(ConfigVersion)).one().version == 1
        key = session.scalars(select(KnownHostKey)).one()
        assert (key.port, key.key_type) == (ssh_server.port, "ssh-ed25519")


async def test_changed_host_key_refuses_the_session_and_raises_an_event(
    services: Services, collector: SshCollector, recorder: Recorder, tmp_path: Path, login_key: Path
) -> None:
    server = SshServer(tmp_path, login_key)
    device_id = linux_server(services, server, login_key)
    targets, _ = collector.targets([device_id])
    with server.serve():
        [first] = await collector.run(targets, Want(backup=True))
    assert first.ok, first.summary()

    server.new_host_key()  # the "device" was replaced, or someone sits in between
    with server.serve():
        [second] = await collector.run(targets, Want(backup=True))

    assert isinstance(second.error, HostKeyChanged)
    [event] = recorder.events_of("host_key_changed")
    assert event.device_id == device_id and event.severity == "critical"
    assert event.data["known"] != event.data["presented"]
    # Refused before authentication: the second server never saw a login.
    assert "Accepted publickey" in server.log(1).read_text()
    assert "Accepted publickey" not in server.log(2).read_text()
    with services.db.session() as session:
        assert len(session.scalars(select(ConfigVersion)).all()) == 1


async def test_wrong_key_is_an_authentication_failure(
    services: Services, collector: SshCollector, ssh_server: SshServer, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger"
    keygen(stranger)
    device_id = linux_server(services, ssh_server, stranger)
    targets, _ = collector.targets([device_id])

    [outcome] = await collector.run(targets, Want(backup=True))

    assert isinstance(outcome.error, AuthenticationFailed)
    assert ssh_server.user in outcome.error.message


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung SSH daemon)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_dead_and_hung_hosts_are_reported_without_stalling_the_others(
    services: Services,
    collector: SshCollector,
    ssh_server: SshServer,
    login_key: Path,
    silent_listener: int,
) -> None:
    key = login_key.read_text()
    hung = add_device(services, "hung", port=silent_listener, platform="linux", username="x", private_key=key)
    dead = add_device(services, "dead", port=free_port(), platform="linux", username="x", private_key=key)
    good = linux_server(services, ssh_server, login_key)
    targets, _ = collector.targets([hung, dead, good])
    finished: list[str] = []

    def done(outcome: DeviceOutcome) -> None:
        finished.append(outcome.target.name)

    outcomes = {o.target.name: o for o in await collector.run(targets, Want(backup=True), on_done=done)}

    assert isinstance(outcomes["dead"].error, HostUnreachable)
    assert isinstance(outcomes["hung"].error, ConnectTimeout)
    assert outcomes["srv-portal-01"].ok
    # The healthy server finished while the hung one was still waiting for its banner.
    assert finished.index("srv-portal-01") < finished.index("hung")


async def test_a_device_failing_for_24_hours_raises_backup_failed_once(
    services: Services, collector: SshCollector, recorder: Recorder, login_key: Path
) -> None:
    device_id = add_device(
        services,
        "sw-old",
        port=free_port(),
        platform="linux",
        username="x",
        private_key=login_key.read_text(),
    )
    with services.db.session() as session:
        session.add(ConfigBackupState(device_id=device_id, last_success_at=utcnow() - timedelta(hours=25)))
    targets, _ = collector.targets([device_id])

    await collector.run(targets, Want(backup=True))
    await collector.run(targets, Want(backup=True))

    [event] = recorder.events_of("backup_failed")
    assert event.device_id == device_id
    assert "no successful configuration backup in 24 h" in event.message
    with services.db.session() as session:
        state = session.get(ConfigBackupState, device_id)
        assert state is not None and state.consecutive_failures == 2


async def test_a_cli_whose_prompt_keeps_changing_is_an_unknown_prompt(
    services: Services, tmp_path: Path, login_key: Path
) -> None:
    # A login shell replaced by a loop whose prompt changes at every line (step0$, step1$ ...):
    # netmiko finds a prompt, then never sees it again after a command.
    script = tmp_path / "shifting-prompt.sh"
    script.write_text(
        'i=0; printf "step$i\\$ "; while read -r line; do i=$((i+1)); printf "step$i\\$ "; done\n'
    )
    server = SshServer(tmp_path, login_key, extra_config=f"ForceCommand /bin/sh {script}\n")
    device_id = linux_server(services, server, login_key)
    collector = SshCollector(
        services.collector_context, SshConfig(workers=1, connect_timeout_s=3, read_timeout_s=3)
    )
    targets, _ = collector.targets([device_id])

    try:
        with server.serve():
            [outcome] = await collector.run(targets, Want(backup=True))
    finally:
        collector.close()

    assert isinstance(outcome.error, UnknownPrompt)
    assert "no prompt came back" in outcome.error.message
