"""A sweep over the loopback lab staged against a seeded inventory, reviewed through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from collectors.discovery import ranges
from collectors.discovery.jobs import resolve_probes, run_discovery
from collectors.discovery.sweep import SweepSettings
from eams.services import Services
from inventory.models import Dependency, Device, DiscoveredFact, EdgeState, ObjectChange
from tests.discovery.conftest import CISCO_HOST, SNMPD_HOST, SWEEP, Lab

SETTINGS = SweepSettings(concurrency=8, rate=200, timeout_s=0.5, retries=0)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def credentials(admin: TestClient, port: int) -> None:
    for name, community in (("lab-public", "public"), ("lab-h3c", "h3c/e528"), ("lab-cisco", "cisco/c3560")):
        created(
            admin.post(
                "/api/v1/credentials",
                json={"name": name, "kind": "snmp_v2c", "community": community, "port": port},
            )
        )


@pytest.fixture
def inventory(admin: TestClient, lab: Lab) -> dict[str, int]:
    """The Cisco switch with an old serial and firmware; the H3C switch known by name only; its
    LLDP neighbour; a device in the swept range that no longer answers."""
    credentials(admin, lab.port)
    devices = {
        "sw-access-01": {"management_ip": CISCO_HOST, "serial": "OLD-SERIAL", "firmware_version": "12.0(1)"},
        "DUMSYS-02": {},
        "WRD-Huiju-2": {"management_ip": "10.1.123.2"},
        "gone-01": {"management_ip": "127.0.1.19"},
    }
    return {
        name: created(admin.post("/api/v1/devices", json={"name": name, "role": "switch", **extra}))["id"]
        for name, extra in devices.items()
    }


def discover(services: Services) -> None:
    with services.db.session() as session:
        probes = resolve_probes(session, services.secret_box, ["lab-public", "lab-h3c", "lab-cisco"])
    asyncio.run(run_discovery(services.db, ranges.addresses([SWEEP]), probes, SETTINGS, "discovery:test"))


def facts(services: Services) -> list[DiscoveredFact]:
    with services.db.session() as session:
        return list(session.scalars(select(DiscoveredFact).order_by(DiscoveredFact.id)))


def test_a_sweep_stages_new_devices_drift_not_seen_and_lldp_links(
    services: Services, inventory: dict[str, int]
) -> None:
    discover(services)
    staged = facts(services)
    by_kind: dict[str, list[DiscoveredFact]] = {}
    for fact in staged:
        assert fact.source.value == "snmp" and fact.state.value == "pending"
        by_kind.setdefault(fact.kind.value, []).append(fact)

    new = {fact.address: fact for fact in by_kind["new_device"]}
    assert new[SNMPD_HOST].observed_value == "eams-test-agent"
    assert new[SNMPD_HOST].data["sys_object_id"].startswith("1.3.6.1.4.1.8072")

    drift = {
        fact.field: fact for fact in by_kind["changed_field"] if fact.device_id == inventory["sw-access-01"]
    }
    assert drift["serial"].current_value == "OLD-SERIAL" and drift["serial"].observed_value
    assert drift["firmware_version"].current_value == "12.0(1)"
    assert drift["firmware_version"].observed_value not in (None, "12.0(1)")
    assert {fact.match_reason.value for fact in drift.values()} == {"management_ip"}

    [gone] = by_kind["not_seen"]
    assert gone.device_id == inventory["gone-01"]

    [link] = [f for f in by_kind["neighbour"] if f.device_id == inventory["DUMSYS-02"]]
    assert link.match_reason.value == "management_ip"  # the neighbour, by its LLDP management address
    assert link.data["remote_device_id"] == inventory["WRD-Huiju-2"]
    assert link.data["protocol"] == "lldp" and link.data["remote_port"] == "GigabitEthernet1/0/33"
    with services.db.session() as session:
        edge = session.get(Dependency, link.dependency_id)
        assert edge is not None and edge.state is EdgeState.proposed
        assert {edge.source_id, edge.target_id} == {inventory["DUMSYS-02"], inventory["WRD-Huiju-2"]}

    # A second sweep finds the same things: nothing is staged twice.
    discover(services)
    again = facts(services)
    assert [fact.id for fact in again] == [fact.id for fact in staged]
    assert all(fact.times_seen == 2 for fact in again)


def test_accepted_drift_updates_the_device_and_the_change_log(
    services: Services, inventory: dict[str, int], admin: TestClient
) -> None:
    discover(services)
    device_id = inventory["sw-access-01"]
    drift = {
        f.field: f for f in facts(services) if f.kind.value == "changed_field" and f.device_id == device_id
    }

    for field in ("serial", "firmware_version"):
        answer = admin.post(f"/api/v1/discovered-facts/{drift[field].id}/accept", json={"note": "swapped"})
        assert answer.status_code == 200, answer.json()
        assert answer.json()["state"] == "accepted" and answer.json()["reviewer"] == "token:admin"

    device = admin.get(f"/api/v1/devices/{device_id}").json()
    assert device["serial"] == drift["serial"].observed_value
    assert device["firmware_version"] == drift["firmware_version"].observed_value
    with services.db.session() as session:
        changes = session.scalars(
            select(ObjectChange).where(
                ObjectChange.object_type == "device", ObjectChange.object_id == device_id
            )
        ).all()
        updates = [change for change in changes if change.action.value == "update"]
        assert updates and all(change.actor == "token:admin" for change in updates)
        assert any((change.before or {}).get("serial") == "OLD-SERIAL" for change in updates)
        assert session.get(Device, device_id) is not None

    link = next(f for f in facts(services) if f.kind.value == "neighbour")
    assert admin.post(f"/api/v1/discovered-facts/{link.id}/accept").status_code == 200
    with services.db.session() as session:
        edge = session.get(Dependency, link.dependency_id)
        assert edge is not None and edge.state is EdgeState.confirmed


def test_a_device_that_answered_at_another_address_is_not_reported_as_not_seen(
    services: Services, admin: TestClient, lab: Lab
) -> None:
    credentials(admin, lab.port)
    # The inventory still has the old address (silent now); the agent answers, by name, at .11.
    created(
        admin.post(
            "/api/v1/devices",
            json={"name": "eams-test-agent", "role": "server", "management_ip": "127.0.1.18"},
        )
    )
    discover(services)
    staged = facts(services)
    assert not [fact for fact in staged if fact.kind.value == "not_seen"]
    assert not [fact for fact in staged if fact.kind.value == "new_device" and fact.address == SNMPD_HOST]
