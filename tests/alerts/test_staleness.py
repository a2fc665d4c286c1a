"""Staleness instances follow the inventory and the reachability alerts: a deleted device's
alerts resolve and are forgotten, and an unreachable device does not also raise a stale alert
(the poller backs off unreachable devices, so their samples stop: one alert per problem)."""

from __future__ import annotations

from sqlalchemy import select

from eams.alerts.clock import ManualClock
from eams.alerts.models import Alert
from eams.services import Services
from inventory.models import Device, DeviceRole
from tests.alerts.conftest import EngineFactory, Estate, sample
from tests.alerts.test_notifications import poll_fails

STALE_AND_UNREACHABLE = """
rules:
  - {name: collector-stale, kind: stale, measurement: collector, interval: 60s, intervals: 3}
  - {name: device-unreachable, kind: unreachable, measurement: collector, field: reachable, failures: 2}
"""


def alerts(services: Services) -> list[Alert]:
    with services.db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def add_device(services: Services, name: str, site_id: int) -> int:
    with services.db.session() as session:
        device = Device(name=name, role=DeviceRole.switch, site_id=site_id)
        session.add(device)
        session.flush()
        return device.id


async def test_a_deleted_device_s_stale_alert_resolves_and_is_forgotten(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    gone = add_device(services, "sw-retired-01", estate.site_id)
    engine = make_engine(STALE_AND_UNREACHABLE)
    await engine.consume_samples([sample("collector", gone, {"reachable": True})])
    clock.advance(minutes=4)
    await engine.tick()
    assert [(a.device_id, a.rule_name, a.state) for a in alerts(services)] == [
        (gone, "collector-stale", "firing")
    ]

    with services.db.session() as session:
        device = session.get(Device, gone)
        assert device is not None
        session.delete(device)
    clock.advance(minutes=1)
    await engine.tick()
    assert [(a.device_id, a.state) for a in alerts(services)] == [(gone, "resolved")]
    assert not [key for key in engine.evaluator.instances if key[1] == gone], "nothing left to fire again"
    clock.advance(hours=1)
    await engine.tick()
    assert [a.state for a in alerts(services)] == ["resolved"]


async def test_an_unreachable_device_does_not_also_raise_a_stale_alert(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    engine = make_engine(STALE_AND_UNREACHABLE)
    await engine.consume_samples(
        [sample("collector", d, {"reachable": True}) for d in (estate.core, estate.access)]
    )
    await poll_fails(engine, estate.core)  # then the poller backs off: no more samples from it
    clock.advance(minutes=10)  # the access switch's collector stopped too
    await engine.tick()

    firing = {(a.device_id, a.rule_name) for a in alerts(services) if a.state == "firing"}
    assert firing == {(estate.core, "device-unreachable"), (estate.access, "collector-stale")}

    await engine.consume_samples([sample("collector", estate.core, {"reachable": True})])
    clock.advance(minutes=10)  # back, then silent again: now stale is the news
    await engine.tick()
    firing = {(a.device_id, a.rule_name) for a in alerts(services) if a.state == "firing"}
    assert firing == {(estate.core, "collector-stale"), (estate.access, "collector-stale")}


async def test_an_alert_of_a_device_deleted_while_the_engine_was_stopped_resolves_after_restart(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    gone = add_device(services, "sw-retired-02", estate.site_id)
    engine = make_engine(STALE_AND_UNREACHABLE)
    await poll_fails(engine, gone)
    assert [(a.rule_name, a.state) for a in alerts(services)] == [("device-unreachable", "firing")]
    await engine.stop()

    with services.db.session() as session:
        device = session.get(Device, gone)
        assert device is not None
        session.delete(device)
    restarted = make_engine(STALE_AND_UNREACHABLE)
    await restarted.tick()
    assert [(a.rule_name, a.state) for a in alerts(services)] == [("device-unreachable", "resolved")]
    assert gone not in restarted.suppressor.down
