"""The alert lifecycle as operators see it: thresholds with `for:` and hysteresis, one alert per
port, important interfaces only, flapping held firing, stale and inventory rules on the tick.
Notifications go to a real HTTP receiver."""

from __future__ import annotations

from sqlalchemy import select

from eams.alerts.clock import ManualClock
from eams.alerts.models import Alert
from eams.alerts.state import FlapPolicy
from eams.services import Services
from tests.alerts.conftest import EngineFactory, Estate, sample, save_routing, settle, webhook_routing
from tests.alerts.receivers import HttpReceiver

CPU_RULE = """
rules:
  - name: cpu-high
    kind: threshold
    measurement: cpu
    field: utilisation
    op: ">"
    value: 90
    clear: 80
    for: 5m
    severity: warning
    summary:
      en: "CPU of {device} ({site}, {agency}) at {value:.0f}%"
      vi: "CPU của {device} ({site}, {agency}) ở mức {value:.0f}%"
"""


def alerts(services: Services) -> list[Alert]:
    with services.db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


async def test_threshold_waits_for_its_duration_and_clears_only_below_the_clear_value(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook))
    engine = make_engine(CPU_RULE)

    async def cpu(value: float) -> None:
        await engine.consume_samples([sample("cpu", estate.server, {"utilisation": value})])

    await cpu(95)
    clock.advance(minutes=4)
    await cpu(96)
    assert alerts(services) == [], "pending for 4 of the 5 minutes: nothing fires yet"

    clock.advance(minutes=1)
    await cpu(97)
    [alert] = alerts(services)
    assert alert.state == "firing" and alert.value == 97
    assert alert.summary == "CPU of srv-app-01 (Trung tâm dữ liệu tỉnh, Sở Y tế) at 97%"
    assert alert.summary_vi == "CPU của srv-app-01 (Trung tâm dữ liệu tỉnh, Sở Y tế) ở mức 97%"

    await settle(engine)
    assert hook.requests == [], "group_wait (30 s) has not passed"
    clock.advance(seconds=30)
    await settle(engine)
    [firing] = hook.payloads()
    assert firing["status"] == "firing" and firing["alerts"][0]["device"] == "srv-app-01"

    await cpu(85)  # below 90 but above the clear value 80: still firing (hysteresis)
    assert alerts(services)[0].state == "firing"
    await cpu(79)
    assert alerts(services)[0].state == "resolved"
    clock.advance(minutes=5)
    await settle(engine)
    assert [p["status"] for p in hook.payloads()] == ["firing", "resolved"]


async def test_one_alert_per_interface_with_a_stable_fingerprint(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    rules = """
    rules:
      - name: interface-utilisation-high
        kind: threshold
        measurement: interface
        field: ifHCInOctets
        source: rate
        scale: 8
        percent_of: ifHighSpeed
        percent_of_scale: 1000000
        op: ">"
        value: 90
        clear: 75
        entity: [ifName]
    """
    engine = make_engine(rules)

    def port(name: str, octets_per_second: float) -> object:
        return sample(
            "interface",
            estate.core,
            {"ifHighSpeed": 1000, "ifHCInOctets": 123456789},
            tags={"ifName": name, "ifAlias": "uplink"},
            rates={"ifHCInOctets": octets_per_second},
        )

    # 1 Gbit/s ports: 120 MB/s is 96 %, 50 MB/s is 40 %.
    await engine.consume_samples([port("Gi0/1", 120e6), port("Gi0/2", 50e6)])  # type: ignore[list-item]
    [one] = alerts(services)
    assert one.entity == "ifName=Gi0/1" and round(one.value or 0) == 96
    await engine.consume_samples([port("Gi0/2", 119e6)])  # type: ignore[list-item]
    first, second = alerts(services)
    assert {first.entity, second.entity} == {"ifName=Gi0/1", "ifName=Gi0/2"}
    assert first.fingerprint != second.fingerprint

    restarted = make_engine(rules)  # a new engine over the same database picks the alerts up
    await restarted.consume_samples([port("Gi0/1", 121e6)])  # type: ignore[list-item]
    assert len(alerts(services)) == 2, "the same port after a restart is the same alert"
    await restarted.consume_samples([port("Gi0/1", 10e6)])  # type: ignore[list-item]
    states = {a.entity: a.state for a in alerts(services)}
    assert states == {"ifName=Gi0/1": "resolved", "ifName=Gi0/2": "firing"}


async def test_interface_down_alerts_only_on_interfaces_marked_important(
    services: Services, make_engine: EngineFactory, estate: Estate
) -> None:
    engine = make_engine(
        """
        rules:
          - name: interface-down
            kind: oper_down
            measurement: interface
            field: ifOperStatus
            entity: [ifName]
        """
    )
    down = [
        sample("interface", estate.core, {"ifOperStatus": status}, tags={"ifName": name})
        for name, status in (("Gi0/1", 2), ("Gi0/2", 2.0), ("Gi0/3", "down"))
    ]
    await engine.consume_samples(down)
    assert [a.entity for a in alerts(services)] == ["ifName=Gi0/1", "ifName=Gi0/2"], "Gi0/3 is not important"


async def test_flapping_holds_the_alert_firing_and_notifies_once(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s", group_interval="0s"))
    engine = make_engine(
        """
        rules:
          - name: link-down
            kind: oper_down
            measurement: interface
            field: ifOperStatus
            entity: [ifName]
        """,
        flap=FlapPolicy(transitions=4, window=600),
    )

    async def status(value: int) -> None:
        await engine.consume_samples(
            [sample("interface", estate.core, {"ifOperStatus": value}, tags={"ifName": "Gi0/2"})]
        )
        clock.advance(seconds=30)
        await settle(engine)

    for value in (2, 1, 2, 1):  # down, up, down, up within two minutes
        await status(value)
    occurrences = alerts(services)
    assert occurrences[-1].state == "firing" and occurrences[-1].flapping
    assert [o.state for o in occurrences] == ["resolved", "firing"]
    notified = [(p["status"], p["alerts"][0]["flapping"]) for p in hook.payloads()]
    assert notified == [("firing", False), ("resolved", False), ("firing", False), ("firing", True)]

    for value in (2, 1, 2):  # keeps flapping: no more notifications
        await status(value)
    assert len(hook.payloads()) == 4
    await status(1)
    clock.advance(minutes=11)  # up and steady for a whole window: resolves
    await settle(engine)
    assert alerts(services)[-1].state == "resolved" and not alerts(services)[-1].flapping
    assert hook.payloads()[-1]["status"] == "resolved"


async def test_stale_devices_and_inventory_dates_are_found_on_the_tick(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    from datetime import timedelta

    from inventory.models import Device

    with services.db.session() as session:
        device = session.get(Device, estate.server)
        assert device is not None
        device.warranty_end = (clock.now() + timedelta(days=30)).date()
    engine = make_engine(
        """
        rules:
          - name: collector-stale
            kind: stale
            measurement: collector
            interval: 60s
            intervals: 3
          - name: warranty-ending
            kind: inventory
            check: warranty_end
            days: 90
            summary: {en: "Warranty of {device} ends on {detail}", vi: "Bảo hành {device} hết hạn {detail}"}
        """
    )
    await engine.consume_samples([sample("collector", estate.core, {"reachable": True})])
    clock.advance(minutes=2)
    await engine.tick()
    assert [a.rule_name for a in alerts(services)] == ["warranty-ending"]
    assert alerts(services)[0].summary.startswith("Warranty of srv-app-01 ends on ")
    clock.advance(minutes=2)
    await engine.tick()
    stale = [a for a in alerts(services) if a.rule_name == "collector-stale"]
    assert [(a.device_id, a.state) for a in stale] == [(estate.core, "firing")]
    await engine.consume_samples([sample("collector", estate.core, {"reachable": True})])
    assert [a.state for a in alerts(services) if a.rule_name == "collector-stale"] == ["resolved"]


async def test_warning_and_critical_rules_on_one_value_fire_and_clear_independently(
    services: Services, make_engine: EngineFactory, estate: Estate
) -> None:
    engine = make_engine(
        """
        rules:
          - {name: disk-warning, kind: threshold, measurement: storage, field: used_percent,
             op: ">", value: 80, clear: 75, entity: [descr]}
          - {name: disk-critical, kind: threshold, measurement: storage, field: used_percent,
             op: ">", value: 95, clear: 90, severity: critical, entity: [descr]}
          - {name: disk-critical-core-only, kind: threshold, measurement: storage, field: used_percent,
             op: ">", value: 95, scope: {tags: [core]}, entity: [descr]}
        """
    )

    async def used(percent: float) -> dict[str, str]:
        await engine.consume_samples(
            [sample("storage", estate.server, {"used_percent": percent}, tags={"descr": "/var"})]
        )
        latest: dict[str, str] = {}
        for alert in alerts(services):
            latest[alert.rule_name] = alert.state
        return latest

    assert await used(85) == {"disk-warning": "firing"}
    assert await used(97) == {"disk-warning": "firing", "disk-critical": "firing"}, (
        "the server is not tagged core"
    )
    assert await used(92) == {"disk-warning": "firing", "disk-critical": "firing"}, (
        "above critical's clear value"
    )
    assert await used(89) == {"disk-warning": "firing", "disk-critical": "resolved"}
    assert await used(70) == {"disk-warning": "resolved", "disk-critical": "resolved"}


async def test_messages_name_what_is_hosted_on_the_device(
    services: Services, make_engine: EngineFactory, estate: Estate
) -> None:
    from inventory.models import Dependency, Device, DeviceRole, EdgeKind, NodeType

    with services.db.session() as session:
        vm = Device(name="vm-motcua-01", role=DeviceRole.server)
        session.add(vm)
        session.flush()
        for source_type, source_id in ((NodeType.device, vm.id), (NodeType.information_system, 7)):
            session.add(
                Dependency(
                    source_type=source_type,
                    source_id=source_id,
                    kind=EdgeKind.hosted_on,
                    target_type=NodeType.device,
                    target_id=estate.server,
                )
            )
    engine = make_engine(
        CPU_RULE.replace("for: 5m", "for: 0s").replace("{value:.0f}%", "{value:.0f}% ({systems})")
    )
    await engine.consume_samples([sample("cpu", estate.server, {"utilisation": 99})])
    [alert] = alerts(services)
    # Information systems arrive with the architecture layer; until then they show as type:id.
    assert alert.summary.endswith("at 99% (vm-motcua-01, information_system:7)")
    assert alert.summary_vi.endswith("ở mức 99% (vm-motcua-01, information_system:7)")
