"""A service with the trap receiver on a free loopback UDP port, and net-snmp's senders.

The senders are the real `snmptrap` and `snmpinform` (Debian `snmp`); the receiver runs inside the
service exactly as in production, only on 127.0.0.1 and an unprivileged port.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from collectors.samples import Event, Sample
from eams.services import Services
from eams.settings import Settings
from tests.support.peers import free_udp_port, require_program, wait_until

# Two SNMPv3 users, as a province would have for old and new gear.
V3_SHA_AES = {"user": "trapsha", "auth_key": "trap-auth-pass", "priv_key": "trap-priv-pass"}
V3_SHA256_AES256 = {
    "user": "trapsha256",
    "auth_protocol": "SHA256",
    "auth_key": "trap-auth-pass-256",
    "priv_protocol": "AES256",
    "priv_key": "trap-priv-pass-256",
}
# The engine ids our test senders claim; traps (not informs) need them configured on the receiver.
SENDER_ENGINE_ID = "0x80001f88804541534d53454e44"
SENDER_ENGINE_ID_2 = "0x80001f88804541534d53454e45"
COMMUNITY = "tr4p-community"


@dataclass
class Recorder:
    """Stands where the alert engine and the InfluxDB sink sit on the pipeline."""

    events: list[Event] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    def wait_for_events(self, count: int, timeout: float = 15.0) -> list[Event]:
        wait_until(lambda: len(self.events) >= count, timeout, f"{count} trap events")
        return list(self.events)


@pytest.fixture
def trap_port() -> int:
    return free_udp_port()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, trap_port: int) -> Settings:
    """Overrides the suite's settings: the same database, plus a configured trap receiver."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        trap={
            "listen": f"127.0.0.1:{trap_port}",
            "communities": [COMMUNITY],
            "v3_users": [
                {**V3_SHA_AES, "engine_ids": [SENDER_ENGINE_ID]},
                {**V3_SHA256_AES256, "engine_ids": [SENDER_ENGINE_ID_2]},
            ],
        },
    )


@pytest.fixture
def recorder(services: Services) -> Recorder:
    found = Recorder()
    services.pipeline.add_event_consumer(found)
    services.pipeline.add_sample_consumer(found)
    return found


Sender = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def net_snmp(trap_port: int) -> Sender:
    """Runs `snmptrap`/`snmpinform` ARGS against the receiver; returns the finished process."""
    require_program("snmptrap")
    target = f"127.0.0.1:{trap_port}"
    # No MIB files are needed (numeric OIDs) and none should be looked for.
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent-eams-mibs", "SNMPCONFPATH": "/nonexistent"}

    def send(program: str, *args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        options, notification = _split(args)
        return subprocess.run(
            [program, *options, target, *notification],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return send


def _split(args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Options before `--`, the notification (uptime, trap OID, varbinds) after it."""
    marker = args.index("--")
    return list(args[:marker]), list(args[marker + 1 :])
