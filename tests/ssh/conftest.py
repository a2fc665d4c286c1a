"""Fixtures of the SSH collector tests: a real OpenSSH server and simulated Cisco switches on
loopback, inventory devices pointing at them, and a consumer recording what the pipeline carries."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from collectors.samples import Event, Sample
from collectors.ssh.collector import SshCollector
from collectors.ssh.config import SshConfig
from eams.services import Services
from inventory.models import Agency, CredentialKind, CredentialsProfile, Device, DeviceRole, Platform, Site
from tests.support.peers import free_port, require_program, running, tcp_open
from tests.support.switch_sim import fake_switches_python

TESTDATA = Path(__file__).with_name("testdata")


@dataclass
class Recorder:
    """A pipeline consumer that keeps what it is given (stands where the sinks and alerts sit)."""

    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)

    def events_of(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.kind == kind]


@pytest.fixture
def recorder(services: Services) -> Recorder:
    found = Recorder()
    services.pipeline.add_sample_consumer(found)
    services.pipeline.add_event_consumer(found)
    return found


@pytest.fixture
def collector(services: Services) -> Iterator[SshCollector]:
    found = SshCollector(
        services.collector_context,
        SshConfig(workers=4, connect_timeout_s=3, read_timeout_s=20, device_timeout_s=60),
    )
    services.extras["ssh_collector"] = found  # the API uses the same one
    yield found
    found.close()


def keygen(path: Path) -> None:
    subprocess.run(
        [require_program("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", "eams-test", "-f", str(path)],
        check=True,
    )


@pytest.fixture(scope="session")
def login_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair for the account running the tests (authorized only inside the test sshd)."""
    path = tmp_path_factory.mktemp("login") / "id_ed25519"
    keygen(path)
    return path


class SshServer:
    """sshd -D on 127.0.0.1:port with host keys, pid file and authorized_keys in `folder`."""

    def __init__(self, folder: Path, login_key: Path, extra_config: str = "") -> None:
        self.folder = folder
        self.extra_config = extra_config
        self.port = free_port()
        self.user = getpass.getuser()
        self.generation = 0
        (folder / "authorized_keys").write_text(Path(str(login_key) + ".pub").read_text())
        self.new_host_key()

    def new_host_key(self) -> None:
        for suffix in ("", ".pub"):
            (self.folder / f"ssh_host_ed25519_key{suffix}").unlink(missing_ok=True)
        keygen(self.folder / "ssh_host_ed25519_key")

    def config(self) -> Path:
        text = (TESTDATA / "sshd_config").read_text().format(dir=self.folder, port=self.port, user=self.user)
        text += self.extra_config
        path = self.folder / "sshd_config"
        path.write_text(text)
        return path

    def serve(self) -> Any:
        self.generation += 1
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation folder
        argv = [require_program("/usr/sbin/sshd"), "-D", "-e", "-f", str(self.config())]
        return running(
            argv,
            ready=lambda: tcp_open("127.0.0.1", self.port),
            what="sshd",
            log_path=self.log(self.generation),
        )

    def log(self, generation: int) -> Path:
        return self.folder / f"sshd-{generation}.log"


@pytest.fixture
def ssh_server(tmp_path: Path, login_key: Path) -> Iterator[SshServer]:
    server = SshServer(tmp_path, login_key)
    with server.serve():
        yield server


@pytest.fixture(scope="session")
def fake_switches_venv() -> str:
    return fake_switches_python()


def add_device(
    services: Services,
    name: str,
    *,
    port: int,
    platform: str,
    username: str,
    password: str | None = None,
    private_key: str | None = None,
    enable_secret: str | None = None,
    role: DeviceRole = DeviceRole.switch,
    address: str = "127.0.0.1",
) -> int:
    """An inventory device with a platform and an encrypted SSH credentials profile."""
    secrets = {
        key: value
        for key, value in {
            "password": password,
            "private_key": private_key,
            "enable_secret": enable_secret,
        }.items()
        if value
    }
    with services.db.session(actor="test") as session:
        agency = session.query(Agency).filter_by(code="STTTT").one_or_none()
        if agency is None:
            agency = Agency(name="Sở Khoa học và Công nghệ", kind="department", code="STTTT")
            site = Site(name="Trung tâm dữ liệu tỉnh", kind="data_center")
            session.add_all([agency, site])
        site = session.query(Site).filter_by(name="Trung tâm dữ liệu tỉnh").one_or_none() or site
        found_platform = session.query(Platform).filter_by(name=platform).one_or_none()
        if found_platform is None:
            found_platform = Platform(name=platform, ssh_driver=platform)
            session.add(found_platform)
        credentials = CredentialsProfile(
            name=f"ssh-{name}",
            kind=CredentialKind.ssh,
            username=username,
            port=port,
            secrets_encrypted=services.secret_box.seal(secrets),
        )
        session.add(credentials)
        session.flush()
        device = Device(
            name=name,
            role=role,
            management_ip=address,
            platform_id=found_platform.id,
            credentials_id=credentials.id,
            site_id=site.id,
            owner_agency_id=agency.id,
        )
        session.add(device)
        session.flush()
        return device.id


def linux_server(services: Services, server: SshServer, login_key: Path, name: str = "srv-portal-01") -> int:
    return add_device(
        services,
        name,
        port=server.port,
        platform="linux",
        username=server.user,
        private_key=login_key.read_text(),
        role=DeviceRole.server,
    )
