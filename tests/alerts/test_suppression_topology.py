"""Dependency suppression follows the direction of dependencies: only depends_on and hosted_on
edges name an uplink (a connected_to link runs both ways and says nothing about who depends on
whom), and a loop of down devices is its own root cause."""

from __future__ import annotations

from sqlalchemy import select

from eams.alerts.clock import ManualClock
from eams.alerts.directory import DeviceInfo
from eams.alerts.models import Alert
from eams.alerts.suppression import DependencySuppressor
from eams.services import Services
from inventory.models import Device, DeviceRole, EdgeKind
from tests.alerts.conftest import EngineFactory, Estate, save_routing, settle, uplink, webhook_routing
from tests.alerts.receivers import HttpReceiver
from tests.alerts.test_notifications import UNREACHABLE, poll_fails


def alerts(services: Services) -> list[Alert]:
    with services.db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def add_device(services: Services, name: str, site_id: int) -> int:
    with services.db.session() as session:
        device = Device(name=name, role=DeviceRole.switch, site_id=site_id)
        session.add(device)
        session.flush()
        return device.id


async def test_neighbours_seen_from_both_sides_do_not_mute_each_other(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    core2 = add_device(services, "sw-core-02", estate.site_id)
    with services.db.session() as session:  # discovery proposes the link from each side
        session.add_all(
            [
                uplink(estate.core, EdgeKind.connected_to, core2),
                uplink(core2, EdgeKind.connected_to, estate.core),
            ]
        )
    save_routing(services, webhook_routing(hook))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core, core2)

    recorded = {a.labels["device"]: a for a in alerts(services)}
    assert recorded["sw-core-01"].suppressed_by is None
    assert recorded["sw-core-02"].suppressed_by is None
    clock.advance(seconds=30)
    await settle(engine)
    notified = sorted(a["device"] for p in hook.payloads() for a in p["alerts"])
    assert notified == ["sw-core-01", "sw-core-02"], "somebody hears about two down core switches"


async def test_a_core_switch_is_not_muted_by_an_access_switch_it_sees_as_a_neighbour(
    services: Services, make_engine: EngineFactory, estate: Estate
) -> None:
    with services.db.session() as session:  # the core's LLDP saw the access switch
        session.add(uplink(estate.core, EdgeKind.connected_to, estate.access))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.access, estate.core)

    recorded = {a.labels["device"]: a for a in alerts(services)}
    assert recorded["sw-core-01"].suppressed_by is None
    assert recorded["sw-access-01"].suppressed_by == "sw-core-01 unreachable", "depends_on still counts"


def test_a_loop_of_down_devices_is_its_own_root_cause() -> None:
    # A misrecorded depends_on loop (a <-> b), and c behind a: the loop is the root.
    devices = {
        1: DeviceInfo(id=1, name="a", upstream=(2,)),
        2: DeviceInfo(id=2, name="b", upstream=(1,)),
        3: DeviceInfo(id=3, name="c", upstream=(1,)),
        4: DeviceInfo(id=4, name="d", upstream=(3,)),
    }
    suppressor = DependencySuppressor(lambda device_id: devices[device_id or 0])
    for device_id in (1, 2, 3, 4):
        suppressor.mark_down(device_id, True)
    assert suppressor.root_cause(1) is None
    assert suppressor.root_cause(2) is None
    root_of_c = suppressor.root_cause(3)
    assert root_of_c is not None and root_of_c.name == "a"
    root_of_d = suppressor.root_cause(4)
    assert root_of_d is not None and root_of_d.name == "a", "followed up to the loop"
