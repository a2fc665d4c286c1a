"""Staging of discovered facts (shared by SNMP discovery and SSH): matching, dedup, review."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from eams.services import Services
from inventory import discovery
from inventory.discovery import ObservedDevice, ObservedNeighbour
from inventory.models import (
    Dependency,
    Device,
    DeviceRole,
    DeviceType,
    DiscoveredFact,
    FactKind,
    FactSource,
    MatchReason,
    ObjectChange,
)


@pytest.fixture
def inventory(services: Services) -> dict[str, int]:
    with services.db.session() as session:
        devices = [
            Device(
                name="fw-edge-01", role=DeviceRole.firewall, serial="FG100F0001", management_ip="10.0.0.1"
            ),
            Device(
                name="sw-core-01", role=DeviceRole.switch, management_ip="10.0.0.2", firmware_version="15.2"
            ),
        ]
        session.add_all(devices)
        session.flush()
        return {device.name: device.id for device in devices}


def test_matching_prefers_serial_then_address_then_name(
    services: Services, inventory: dict[str, int]
) -> None:
    with services.db.session() as session:
        by_serial = discovery.match_device(
            session, serial="FG100F0001", address="10.0.0.2", name="sw-core-01"
        )
        by_address = discovery.match_device(session, serial="UNKNOWN", address="10.0.0.2", name="fw-edge-01")
        by_name = discovery.match_device(
            session, serial=None, address=None, name="SW-CORE-01.tinh.gov.vn(FOC1)"
        )
        nothing = discovery.match_device(session, serial="X", address="10.9.9.9", name="ghost")
    assert [
        (device.name if device else None, reason) for device, reason in (by_serial, by_address, by_name)
    ] == [
        ("fw-edge-01", MatchReason.serial),
        ("sw-core-01", MatchReason.management_ip),
        ("sw-core-01", MatchReason.name),
    ]
    assert nothing == (None, MatchReason.none)


def test_changed_fields_are_staged_once_and_accepting_writes_the_change_log(
    services: Services, inventory: dict[str, int], admin: TestClient
) -> None:
    seen = ObservedDevice(
        source=FactSource.snmp,
        address="10.0.0.2",
        hostname="sw-core-01",
        firmware_version="15.2(7)E",
        model="C9300-48P",
        vendor="Cisco",
    )
    with services.db.session() as session:
        first = discovery.stage_device(session, seen)
        second = discovery.stage_device(session, seen)
    assert sorted(fact.field for fact in first) == ["firmware_version", "model"]
    assert second == []
    with services.db.session() as session:
        facts = session.scalars(select(DiscoveredFact).order_by(DiscoveredFact.field)).all()
        assert [(f.field, f.times_seen, f.match_reason) for f in facts] == [
            ("firmware_version", 2, MatchReason.management_ip),
            ("model", 2, MatchReason.management_ip),
        ]
        firmware_id, model_id = facts[0].id, facts[1].id

    assert admin.post(f"/api/v1/discovered-facts/{firmware_id}/accept").status_code == 200
    assert admin.post(f"/api/v1/discovered-facts/{model_id}/accept").status_code == 200

    with services.db.session() as session:
        device = session.get(Device, inventory["sw-core-01"])
        assert device is not None and device.firmware_version == "15.2(7)E"
        device_type = session.get(DeviceType, device.device_type_id)
        assert device_type is not None and device_type.model == "C9300-48P"
        change = session.scalars(
            select(ObjectChange).where(ObjectChange.object_type == "device", ObjectChange.action == "update")
        ).first()
        assert change is not None and change.actor == "token:admin"
        assert change.before == {"firmware_version": "15.2"} and change.after == {
            "firmware_version": "15.2(7)E"
        }


def test_new_devices_and_not_seen_devices_are_listed_for_review(
    services: Services, inventory: dict[str, int], admin: TestClient
) -> None:
    with services.db.session() as session:
        discovery.stage_device(
            session,
            ObservedDevice(source=FactSource.snmp, address="10.0.0.9", hostname="ups-01", serial="AS123"),
        )
        discovery.stage_not_seen(session, FactSource.snmp, [inventory["fw-edge-01"]])
    listing = admin.get("/api/v1/discovered-facts", params={"state": "pending"}).json()
    kinds = {fact["kind"]: fact for fact in listing["results"]}
    assert set(kinds) == {"new_device", "not_seen"}

    created = admin.post(f"/api/v1/discovered-facts/{kinds['new_device']['id']}/accept")

    assert created.status_code == 200
    with services.db.session() as session:
        device = session.scalars(select(Device).where(Device.name == "ups-01")).one()
        assert (device.management_ip, device.serial) == ("10.0.0.9", "AS123")
    assert admin.post("/api/v1/discovered-facts/9999/accept").status_code == 404


def test_a_neighbour_between_known_devices_is_a_proposed_edge_once(
    services: Services, inventory: dict[str, int]
) -> None:
    link = ObservedNeighbour(
        protocol="lldp", local_port="Gi1/0/1", name="fw-edge-01", address=None, remote_port="port1"
    )
    with services.db.session() as session:
        staged = discovery.stage_neighbours(session, FactSource.snmp, inventory["sw-core-01"], [link])
        # Seen again from the other end: same edge, no second one.
        back = ObservedNeighbour(
            protocol="lldp", local_port="port1", name="sw-core-01", address=None, remote_port="Gi1/0/1"
        )
        discovery.stage_neighbours(session, FactSource.snmp, inventory["fw-edge-01"], [back])
    assert [fact.kind for fact in staged] == [FactKind.neighbour]
    with services.db.session() as session:
        edge = session.scalars(select(Dependency)).one()
        assert (edge.state.value, edge.origin) == ("proposed", "lldp")
