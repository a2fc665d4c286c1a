"""A service with the syslog intake on free loopback ports (UDP, TCP and TLS), and real senders.

The senders are util-linux `logger` and Debian's `rsyslog`; the listener runs inside the service
exactly as in production, only on 127.0.0.1 and unprivileged ports.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from collectors.samples import Event, Sample
from eams.services import Services
from eams.settings import Settings
from tests.ssh.conftest import login_key  # noqa: F401 (a fixture: the SSH backup test's key)
from tests.support.peers import free_port, require_program, wait_until
from tests.support.tls import self_signed_certificate


@dataclass
class Recorder:
    """Stands where the alert engine and the InfluxDB sink sit on the pipeline."""

    events: list[Event] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path


def free_tcp_and_udp_port() -> int:
    """A port free for both TCP and UDP (the plain listener opens both on one port, as 514)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no port free for both TCP and UDP")


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for localhost / 127.0.0.1 (the listener's; rsyslog trusts it)."""
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("syslog-tls"))
    return Tls(cert, key)


@pytest.fixture
def syslog_port() -> int:
    return free_tcp_and_udp_port()


@pytest.fixture
def tls_port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, syslog_port: int, tls_port: int, tls: Tls) -> Settings:
    """The suite's settings plus the syslog intake on loopback (counts written every second)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        syslog={
            "listen": f"127.0.0.1:{syslog_port}",
            "tls_listen": f"127.0.0.1:{tls_port}",
            "tls_cert_file": str(tls.cert),
            "tls_key_file": str(tls.key),
            "counts_interval_s": 1,
            "source_rate": 200,
            "source_burst": 400,
        },
    )


@pytest.fixture
def recorder(services: Services) -> Recorder:
    found = Recorder()
    services.pipeline.add_event_consumer(found)
    services.pipeline.add_sample_consumer(found)
    return found


Logger = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def logger(syslog_port: int) -> Logger:
    """Runs util-linux `logger ARGS -- MESSAGE` against the listener."""
    program = require_program("logger")

    def send(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [program, "-n", "127.0.0.1", "-P", str(syslog_port), *args],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done

    return send


def udp_send(port: int, lines: list[bytes], source: str = "127.0.0.1") -> None:
    """Datagrams from `source` (any 127.x address: the device's management address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for line in lines:
            sock.sendto(line, ("127.0.0.1", port))


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    wait_until(check, timeout, what)
