"""Fixtures for the alert tests: a manual clock, the real SMTP and HTTP receivers, a small
inventory, and engines built over the test database with rules written by each test."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from collectors.samples import Sample
from eams.alerts.clock import ManualClock
from eams.alerts.dispatch.config import RoutingConfig
from eams.alerts.engine import AlertEngine, EngineOptions
from eams.alerts.models import AlertRouting
from eams.alerts.state import FlapPolicy
from eams.services import Services
from inventory.models import (
    Agency,
    AgencyKind,
    Dependency,
    Device,
    DeviceRole,
    EdgeKind,
    Interface,
    NodeType,
    Site,
    SiteKind,
)
from tests.alerts.receivers import HttpReceiver, SmtpServer
from tests.support.tls import self_signed_certificate

HOOK_SECRET = "khoá-bí-mật-webhook"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpServer(cert, key)
    server.start()
    yield server
    server.stop()


def save_routing(services: Services, config: dict[str, Any]) -> RoutingConfig:
    routing = RoutingConfig.model_validate(config)
    document, secrets = routing.split_secrets()
    with services.db.session() as session:
        session.add(AlertRouting(config=document, secrets_encrypted=services.secret_box.seal(secrets)))
    return routing


def webhook_routing(hook: HttpReceiver, **route: Any) -> dict[str, Any]:
    return {
        "receivers": [{"name": "ops-hook", "webhook": {"url": hook.url, "secret": HOOK_SECRET}}],
        "route": {"receiver": "ops-hook", "group_wait": "30s", "group_interval": "5m", **route},
    }


@dataclass
class Estate:
    """A small inventory: a province data center with a core switch, an access switch behind it
    and a server behind that, owned by the Department of Health."""

    agency_id: int
    site_id: int
    core: int
    access: int
    server: int
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def estate(services: Services) -> Estate:
    with services.db.session() as session:
        agency = Agency(name="Sở Y tế", kind=AgencyKind.department, code="SYT")
        site = Site(name="Trung tâm dữ liệu tỉnh", kind=SiteKind.data_center)
        session.add_all([agency, site])
        session.flush()
        devices = {
            name: Device(
                name=name, role=DeviceRole(role), site_id=site.id, owner_agency_id=agency.id, tags=tags
            )
            for name, role, tags in (
                ("sw-core-01", "switch", ["core"]),
                ("sw-access-01", "switch", []),
                ("srv-app-01", "server", []),
            )
        }
        session.add_all(devices.values())
        session.flush()
        core, access, server = (devices[n].id for n in ("sw-core-01", "sw-access-01", "srv-app-01"))
        session.add_all(
            [
                Interface(device_id=core, name="Gi0/1", important=True),
                Interface(device_id=core, name="Gi0/2", important=True),
                Interface(device_id=core, name="Gi0/3", important=False),
                uplink(access, EdgeKind.depends_on, core),
                uplink(server, EdgeKind.depends_on, access),
            ]
        )
    return Estate(agency.id, site.id, core, access, server)


def uplink(source: int, kind: EdgeKind, target: int) -> Dependency:
    return Dependency(
        source_type=NodeType.device,
        source_id=source,
        kind=kind,
        target_type=NodeType.device,
        target_id=target,
    )


EngineFactory = Callable[..., AlertEngine]


@pytest.fixture
async def make_engine(services: Services, clock: ManualClock, tmp_path: Path) -> AsyncIterator[EngineFactory]:
    built: list[AlertEngine] = []

    def make(
        rules: str | None = None,
        *,
        flap: FlapPolicy | None = None,
        before_open: Callable[[AlertEngine], None] | None = None,
    ) -> AlertEngine:
        paths: tuple[Path, ...] = ()
        if rules is not None:
            path = tmp_path / f"rules-{len(built)}.yaml"
            path.write_text(textwrap.dedent(rules), encoding="utf-8")
            paths = (path,)
        options = EngineOptions(rule_paths=paths, flap=flap or FlapPolicy())
        engine = AlertEngine(services.db, services.secret_box, clock=clock, options=options)
        if before_open is not None:  # what a component does before the engine starts
            before_open(engine)
        engine.open()
        built.append(engine)
        return engine

    yield make
    for engine in built:
        await engine.stop()


def sample(measurement: str, device_id: int, fields: dict[str, Any], **kw: Any) -> Sample:
    return Sample(
        measurement, kw.pop("tags", {}), fields, device_id=device_id, rates=kw.pop("rates", {}), **kw
    )


async def settle(engine: AlertEngine) -> int:
    """Run the periodic stage and deliver what is due (what the background loops do)."""
    await engine.tick()
    return await engine.deliver()
