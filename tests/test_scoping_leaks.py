"""A token scoped to an agency sees and changes only its agency subtree: discovered facts and the
change log included (both leaked across agencies before)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from eams.services import Services
from inventory import discovery
from inventory.discovery import ObservedDevice
from inventory.models import FactSource, Role
from tests.conftest import TokenFactory, auth


@dataclass(frozen=True)
class TwoAgencies:
    admin: dict[str, str]
    planner: dict[str, str]  # scoped to "health" (and so its child "hospital")
    operator: dict[str, str]  # scoped to "health"
    agencies: dict[str, int]
    devices: dict[str, int]
    interfaces: dict[str, int]
    addresses: dict[str, int]
    facts: dict[str, int]  # by device name; "new" for a fact without a device


def _post(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory, services: Services) -> TwoAgencies:
    admin = auth(make_token(Role.admin, "root"))
    province = _post(client, "agencies", {"name": "Tỉnh Lào Cai", "kind": "province"}, admin)
    health = _post(
        client, "agencies", {"name": "Sở Y tế", "kind": "department", "parent_id": province}, admin
    )
    hospital = _post(
        client, "agencies", {"name": "Bệnh viện tỉnh", "kind": "unit", "parent_id": health}, admin
    )
    finance = _post(
        client, "agencies", {"name": "Sở Tài chính", "kind": "department", "parent_id": province}, admin
    )
    devices, interfaces, addresses = {}, {}, {}
    for name, owner, ip in [("his-db", hospital, "10.1.0.1/24"), ("fin-app", finance, "10.2.0.1/24")]:
        devices[name] = _post(
            client,
            "devices",
            {"name": name, "role": "server", "owner_agency_id": owner, "firmware_version": "1.0"},
            admin,
        )
        interfaces[name] = _post(client, "interfaces", {"device_id": devices[name], "name": "eth0"}, admin)
        addresses[name] = _post(
            client, "ip-addresses", {"address": ip, "interface_id": interfaces[name]}, admin
        )
    _post(client, "manufacturers", {"name": "Dell"}, admin)  # shared reference data

    with services.db.session() as session:
        facts = {
            name: discovery.stage_device(
                session,
                ObservedDevice(source=FactSource.ssh, device_id=device_id, firmware_version="2.0"),
            )[0].id
            for name, device_id in devices.items()
        }
        facts["new"] = discovery.stage_device(
            session, ObservedDevice(source=FactSource.snmp, address="10.9.9.9", hostname="unknown-box")
        )[0].id

    return TwoAgencies(
        admin=admin,
        planner=auth(make_token(Role.planner, "health-planner", agency_id=health)),
        operator=auth(make_token(Role.operator, "health-ops", agency_id=health)),
        agencies={"province": province, "health": health, "hospital": hospital, "finance": finance},
        devices=devices,
        interfaces=interfaces,
        addresses=addresses,
        facts=facts,
    )


# ---------------------------------------------------------------------------------------------
# Discovered facts


def test_scoped_planner_lists_and_reads_only_facts_about_its_devices(
    client: TestClient, world: TwoAgencies
) -> None:
    listed = client.get("/api/v1/discovered-facts", headers=world.planner).json()
    assert listed["count"] == 1
    assert [f["device_id"] for f in listed["results"]] == [world.devices["his-db"]]
    by_device = client.get(
        "/api/v1/discovered-facts", params={"device_id": world.devices["fin-app"]}, headers=world.planner
    ).json()
    assert by_device["count"] == 0 and by_device["results"] == []

    assert (
        client.get(f"/api/v1/discovered-facts/{world.facts['his-db']}", headers=world.planner).status_code
        == 200
    )
    for outside in ("fin-app", "new"):
        response = client.get(f"/api/v1/discovered-facts/{world.facts[outside]}", headers=world.planner)
        assert response.status_code == 404, outside

    everything = client.get("/api/v1/discovered-facts", headers=world.admin).json()
    assert everything["count"] == 3


def test_scoped_operator_cannot_accept_or_reject_facts_outside_its_agencies(
    client: TestClient, world: TwoAgencies
) -> None:
    for outside in ("fin-app", "new"):
        for verb in ("accept", "reject"):
            response = client.post(
                f"/api/v1/discovered-facts/{world.facts[outside]}/{verb}", headers=world.operator
            )
            assert response.status_code == 404, (outside, verb)
    fin_app = client.get(f"/api/v1/devices/{world.devices['fin-app']}", headers=world.admin).json()
    assert fin_app["firmware_version"] == "1.0"
    unknown = client.get("/api/v1/devices", params={"name": "unknown-box"}, headers=world.admin).json()
    assert unknown["count"] == 0
    for outside in ("fin-app", "new"):
        fact = client.get(f"/api/v1/discovered-facts/{world.facts[outside]}", headers=world.admin).json()
        assert fact["state"] == "pending"

    accepted = client.post(f"/api/v1/discovered-facts/{world.facts['his-db']}/accept", headers=world.operator)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    his_db = client.get(f"/api/v1/devices/{world.devices['his-db']}", headers=world.admin).json()
    assert his_db["firmware_version"] == "2.0"


def test_unscoped_operator_reviews_new_device_facts(
    client: TestClient, world: TwoAgencies, make_token: TokenFactory
) -> None:
    operator = auth(make_token(Role.operator, "noc"))
    response = client.post(f"/api/v1/discovered-facts/{world.facts['new']}/accept", headers=operator)
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    created = client.get("/api/v1/devices", params={"name": "unknown-box"}, headers=world.admin).json()
    assert created["count"] == 1


# ---------------------------------------------------------------------------------------------
# Change log


def _changes(client: TestClient, headers: dict[str, str], **params: object) -> list[tuple[str, int]]:
    body = client.get("/api/v1/changes", params={"limit": 1000, **params}, headers=headers).json()
    return sorted((c["object_type"], c["object_id"]) for c in body["results"])


def test_scoped_token_reads_only_changes_of_objects_in_its_agencies(
    client: TestClient, world: TwoAgencies
) -> None:
    inside = {
        ("agency", world.agencies["health"]),
        ("agency", world.agencies["hospital"]),
        ("device", world.devices["his-db"]),
        ("interface", world.interfaces["his-db"]),
        ("ip_address", world.addresses["his-db"]),
    }
    seen = _changes(client, world.planner)
    assert set(seen) == inside and len(seen) == len(inside)
    body = client.get("/api/v1/changes", headers=world.planner).json()
    assert body["count"] == len(inside)

    everything = set(_changes(client, world.admin))
    assert ("device", world.devices["fin-app"]) in everything
    assert ("agency", world.agencies["province"]) in everything
    assert any(object_type == "manufacturer" for object_type, _ in everything)

    filtered = _changes(client, world.planner, object_type="device")
    assert filtered == [("device", world.devices["his-db"])]


def test_scoped_token_gets_404_for_a_change_outside_its_agencies(
    client: TestClient, world: TwoAgencies
) -> None:
    everything = client.get("/api/v1/changes", params={"limit": 1000}, headers=world.admin).json()
    by_object = {(c["object_type"], c["object_id"]): c["id"] for c in everything["results"]}
    manufacturer = next(cid for (kind, _), cid in by_object.items() if kind == "manufacturer")
    outside = [
        by_object[("device", world.devices["fin-app"])],
        by_object[("interface", world.interfaces["fin-app"])],
        by_object[("ip_address", world.addresses["fin-app"])],
        by_object[("agency", world.agencies["finance"])],
        by_object[("agency", world.agencies["province"])],
        manufacturer,
    ]
    for change_id in outside:
        assert client.get(f"/api/v1/changes/{change_id}", headers=world.planner).status_code == 404
        assert client.get(f"/api/v1/changes/{change_id}", headers=world.admin).status_code == 200
    own = by_object[("device", world.devices["his-db"])]
    read = client.get(f"/api/v1/changes/{own}", headers=world.planner)
    assert read.status_code == 200 and read.json()["object_id"] == world.devices["his-db"]
