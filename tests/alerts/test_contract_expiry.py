"""Licence and support contracts (the architecture layer's contracts) that run out raise alerts
on the devices they cover; a renewal that extends the cover clears them."""

from __future__ import annotations

from datetime import timedelta

from eams.alerts.clock import ManualClock
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.services import Services
from inventory.models import Contract, ContractKind, Device
from tests.alerts.conftest import EngineFactory, Estate
from tests.alerts.test_lifecycle import alerts

# The rules a province gets out of the box.
SHIPPED = DEFAULT_RULES.read_text(encoding="utf-8")


async def test_a_licence_running_out_alerts_on_every_covered_device_until_renewed(
    services: Services, make_engine: EngineFactory, estate: Estate, clock: ManualClock
) -> None:
    today = clock.now().date()
    with services.db.session() as session:
        core, server = session.get(Device, estate.core), session.get(Device, estate.server)
        assert core is not None and server is not None
        licence = Contract(
            name="FortiGuard licence 2026", kind=ContractKind.licence, end_date=today + timedelta(days=20)
        )
        licence.devices = [core, server]
        support = Contract(
            name="Hỗ trợ kỹ thuật 2027", kind=ContractKind.support, end_date=today + timedelta(days=400)
        )
        support.devices = [core]
        session.add_all([licence, support])
    engine = make_engine(SHIPPED)
    await engine.tick()
    expiring = sorted((a.device_id, a.state) for a in alerts(services) if a.rule_name == "licence-expiring")
    assert expiring == sorted([(estate.core, "firing"), (estate.server, "firing")])
    assert not [a for a in alerts(services) if a.rule_name == "support-contract-ending"], "400 days away"
    summary = next(a.summary for a in alerts(services) if a.device_id == estate.core)
    assert (today + timedelta(days=20)).strftime("%d/%m/%Y") in summary  # shown DD/MM/YYYY

    with services.db.session() as session:
        renewal = Contract(
            name="FortiGuard licence 2027", kind=ContractKind.licence, end_date=today + timedelta(days=385)
        )
        renewal.devices = [session.get(Device, estate.core)]
        session.add(renewal)
    clock.advance(minutes=61)  # inventory dates are re-checked hourly
    await engine.tick()
    states = {a.device_id: a.state for a in alerts(services) if a.rule_name == "licence-expiring"}
    assert states == {estate.core: "resolved", estate.server: "firing"}
