"""Runs the demo: a fresh SQLite data folder, the example province, the lab, the service.

Order matters for a clean exit: the lab's agents are started before the service and stopped after
it, by PID, whatever ends the run (Ctrl-C, SIGTERM, --duration, an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from sqlalchemy import select

from collectors.lab.agents import LabError, LabProcess, free_udp_port, start_snmpd, start_snmpsim
from collectors.lab.recordings import prepare_recordings
from collectors.samples import Event, Severity
from collectors.syslog.config import parse_address
from eams.api.app import create_app
from eams.auth import create_token
from eams.auth.service import accounts_of
from eams.auth.users import create_user
from eams.demo.lab import LAB_DEVICES, SNMPD_DEVICE, write_demo_recording
from eams.demo.syslog_feed import send_demo_syslog
from eams.services import Services
from eams.settings import Settings
from inventory.examples.loader import load_example
from inventory.models import Agency, CredentialsProfile, Device
from inventory.models.enums import CredentialKind, Role

DEMO_RULES = Path(__file__).with_name("rules.yaml")
LAB_SUBNET = "127.0.77"  # lab device i answers on 127.0.77.i
SNMPD_COMMUNITY = "eams-demo"
DEMO_SYSLOG_HOST = "127.0.0.1"


@dataclass
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var/demo")
    cache_dir: Path = Path("var/lab-cache")  # trimmed recordings and snmpsim's index, kept between runs
    lab: bool = True
    duration: float | None = None
    interval_s: float = 5.0


@dataclass
class LabDeviceAddress:
    device: str
    host: str
    port: int
    community: str
    agent: str  # "snmpsim (cisco/c3560)" or "snmpd (this host)"


@dataclass
class Lab:
    processes: list[LabProcess] = field(default_factory=list)
    devices: list[LabDeviceAddress] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


class DemoInterrupted(Exception):
    """SIGINT or SIGTERM arrived before the service was up."""


def demo_settings(options: DemoOptions, base: Settings) -> Settings:
    """The settings the demo runs with, whatever the caller's EAMS_* say about production: its own
    data folder and SQLite file, polling on at the demo's interval, the demo's rules added, and a
    syslog listener on a free loopback UDP port (eams.demo.syslog_feed sends it the demo's lines)."""
    data = options.data_dir.resolve()
    syslog_port = free_udp_port(DEMO_SYSLOG_HOST)
    return base.model_copy(
        update={
            "data_dir": data,
            "database_url": f"sqlite:///{data / 'eams.sqlite3'}",
            "snmp": base.snmp.model_copy(update={"polling": True, "interval_s": options.interval_s}),
            "alert": base.alert.model_copy(update={"rule_paths": [DEMO_RULES, *base.alert.rule_paths]}),
            "syslog": base.syslog.model_copy(
                update={"listen": f"{DEMO_SYSLOG_HOST}:{syslog_port}", "transports": ["udp"]}
            ),
        }
    )


MARKER = ".eams-demo"


class NotADemoFolder(Exception):
    """The data folder holds files that a demo did not write: it is not deleted."""


def fresh_data_dir(path: Path) -> None:
    """Recreated on each run, so that a second run starts from the same state as the first.
    Only a folder a demo made (it holds the marker file) or an empty one is ever deleted."""
    if path.exists():
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise NotADemoFolder(f"{path} exists and was not made by `eams demo`; choose another --data-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by `eams demo`; deleted and recreated on each run\n")


def start_lab(options: DemoOptions, say: Callable[[str], None]) -> Lab:
    lab = Lab()
    try:
        try:
            import snmpsim_data  # noqa: F401  (the recordings)
        except ImportError:
            raise LabError(
                "the recordings are not installed: pip install 'eams[demo]' (./dev run does it)"
            ) from None
        data = prepare_recordings(options.cache_dir / "data", [d.recording for d in LAB_DEVICES])
        for device in LAB_DEVICES:
            write_demo_recording(data, device)
        hosts = [f"{LAB_SUBNET}.{i}" for i in range(1, len(LAB_DEVICES) + 1)]
        port = free_udp_port(hosts[0])
        say(f"starting the lab: snmpsim, {len(LAB_DEVICES)} recorded devices on {LAB_SUBNET}.1-{len(hosts)}")
        lab.processes.append(
            start_snmpsim(
                data,
                options.cache_dir / "index",
                hosts,
                port,
                options.data_dir / "lab",
                LAB_DEVICES[0].community,
            )
        )
        for device, host in zip(LAB_DEVICES, hosts, strict=True):
            lab.devices.append(
                LabDeviceAddress(device.device, host, port, device.community, f"snmpsim ({device.recording})")
            )
        snmpd = start_snmpd(options.data_dir / "lab" / "snmpd", "127.0.0.1", SNMPD_COMMUNITY, SNMPD_DEVICE)
        if snmpd is None:
            say("snmpd is not installed: the lab runs without this host's own agent")
        else:
            lab.processes.append(snmpd)
            endpoint = snmpd.endpoints[0]
            lab.devices.append(
                LabDeviceAddress(
                    SNMPD_DEVICE, endpoint.host, endpoint.port, SNMPD_COMMUNITY, "snmpd (this host)"
                )
            )
    except BaseException:
        lab.stop()
        raise
    return lab


def point_devices_at_lab(services: Services, lab: Lab) -> dict[str, int]:
    """Give the lab's devices their loopback address and SNMP credentials; name -> device id."""
    ids: dict[str, int] = {}
    with services.db.session(actor="eams demo") as session:
        for address in lab.devices:
            device = session.scalars(select(Device).where(Device.name == address.device)).one()
            profile = CredentialsProfile(
                name=f"demo-{address.device}",
                kind=CredentialKind.snmp_v2c,
                port=address.port,
                timeout_s=2.0,
                retries=1,
                secrets_encrypted=services.secret_box.seal({"community": address.community}),
                description=f"eams demo lab: {address.agent}",
            )
            session.add(profile)
            session.flush()
            device.management_ip = address.host
            device.credentials_id = profile.id
            ids[address.device] = device.id
    return ids


# Who can sign in to the demo's pages: (token and account name, role, agency code of its scope).
DEMO_PEOPLE: tuple[tuple[str, Role, str | None], ...] = (
    ("demo-admin", Role.admin, None),
    ("demo-operator", Role.operator, None),
    ("demo-security", Role.security, None),
    ("demo-planner", Role.planner, None),
    ("demo-planner-lam-son", Role.planner, "SL.HLS"),  # scoped to one (former) district
)


@dataclass(frozen=True)
class DemoPerson:
    name: str  # the account's username and the token's name
    role: Role
    scope: str | None
    token: str
    password: str


def seed(services: Services) -> tuple[dict[str, int], str]:
    """The example province and an admin token; returns the record counts and the token."""
    with services.db.session(actor="eams demo") as session:
        counts = load_example(session)
        _row, token = create_token(session, name="demo-admin", role=Role.admin)
    return counts, token


def demo_sign_ins(services: Services) -> list[DemoPerson]:
    """An account (random password, printed) and a token per role, for the pages' sign-in."""
    accounts = accounts_of(services)
    made = []
    with services.db.session(actor="eams demo") as session:
        for name, role, agency_code in DEMO_PEOPLE:
            agency_id = (
                session.scalar(select(Agency.id).where(Agency.code == agency_code)) if agency_code else None
            )
            password = "demo-" + secrets.token_urlsafe(9)
            create_user(
                session,
                accounts.config,
                username=name,
                role=role,
                password=password,
                agency_id=agency_id,
                must_change_password=False,
            )
            token = token_for(session, name, role, agency_id) if role is not Role.admin else ""
            made.append(DemoPerson(name, role, agency_code, token, password))
    return made


def token_for(session: Any, name: str, role: Role, agency_id: int | None) -> str:
    _row, token = create_token(session, name=name, role=role, agency_id=agency_id)
    return token


SECURITY_EVENT_DELAY_S = 10.0


async def raise_security_alert(services: Services, device_id: int | None) -> None:
    """The demo's security alert: a critical IPS trap from the DMZ firewall, as its trap mapping
    would publish it, fed through the pipeline so the alert engine fires security-trap-critical."""
    await asyncio.sleep(SECURITY_EVENT_DELAY_S)
    await services.pipeline.publish_event(
        Event(
            kind="snmp_trap",
            name="demo.ips.attack_detected",
            severity=Severity.critical,
            message="IPS: tấn công SQL injection vào Cổng thông tin điện tử bị chặn (demo)",
            source="eams demo",
            device_id=device_id,
            labels={"category": "security"},
        )
    )


class DemoServer(uvicorn.Server):
    """uvicorn, but a signal only ends serving: we stop the lab after it and exit 0, rather
    than have uvicorn re-raise the signal at the end."""

    stopped_by: str | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        originals = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, _frame: FrameType | None) -> None:
        self.stopped_by = signal.Signals(sig).name
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _interrupt(sig: int, _frame: FrameType | None) -> None:
    raise DemoInterrupted(signal.Signals(sig).name)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While setting up, SIGINT and SIGTERM unwind through every `finally` (stopping the lab)."""
    originals = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in originals.items():
            signal.signal(sig, handler)


async def serve(
    server: DemoServer,
    duration: float | None,
    services: Services | None = None,
    firewall_id: int | None = None,
    syslog_sources: dict[str, str] | None = None,
) -> None:
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, setattr, server, "should_exit", True)
    feeds: list[asyncio.Task[Any]] = []
    if services is not None:
        feeds.append(asyncio.create_task(raise_security_alert(services, firewall_id)))
        listen = services.settings.syslog.listen
        if listen:
            host, port = parse_address(listen, 514)
            feeds.append(asyncio.create_task(send_demo_syslog(host, port, syslog_sources or {})))
    try:
        await server.serve()
    finally:
        for feed in feeds:
            feed.cancel()


def make_server(services: Services, options: DemoOptions) -> DemoServer:
    config = uvicorn.Config(
        create_app(services),
        host=options.host,
        port=options.port,
        log_level="warning",
    )
    return DemoServer(config)
