"""Credentials profiles have an owner agency: a scoped operator sees and binds only its agencies'
profiles, a shared profile (no owner) is bound only by admins, and a discovery sweep tries only
the profiles its requester may use."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from inventory.models import Role
from tests.conftest import TokenFactory, auth


def _post(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@dataclass(frozen=True)
class World:
    admin: dict[str, str]
    operator: dict[str, str]  # scoped to health
    noc: dict[str, str]  # an unscoped operator
    ids: dict[str, int]


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory) -> World:
    admin = auth(make_token(Role.admin, "root"))
    health = _post(client, "agencies", {"name": "Sở Y tế", "kind": "department"}, admin)
    finance = _post(client, "agencies", {"name": "Sở Tài chính", "kind": "department"}, admin)
    snmp = {"kind": "snmp_v2c", "community": "s3cret"}
    ids = {
        "health": health,
        "finance": finance,
        "shared": _post(client, "credentials", {**snmp, "name": "shared-snmp"}, admin),
        "fin-snmp": _post(
            client, "credentials", {**snmp, "name": "fin-snmp", "owner_agency_id": finance}, admin
        ),
        "his-snmp": _post(
            client, "credentials", {**snmp, "name": "his-snmp", "owner_agency_id": health}, admin
        ),
        "his-db": _post(
            client, "devices", {"name": "his-db", "role": "server", "owner_agency_id": health}, admin
        ),
    }
    return World(
        admin=admin,
        operator=auth(make_token(Role.operator, "health-ops", agency_id=health)),
        noc=auth(make_token(Role.operator, "noc")),
        ids=ids,
    )


def test_a_profile_records_its_owner_agency(client: TestClient, world: World) -> None:
    body = client.get(f"/api/v1/credentials/{world.ids['fin-snmp']}", headers=world.admin).json()
    assert body["owner_agency_id"] == world.ids["finance"]
    shared = client.get(f"/api/v1/credentials/{world.ids['shared']}", headers=world.admin).json()
    assert shared["owner_agency_id"] is None


def test_a_scoped_operator_sees_only_its_agencies_profiles(client: TestClient, world: World) -> None:
    listed = client.get("/api/v1/credentials", headers=world.operator).json()
    assert [p["name"] for p in listed["results"]] == ["his-snmp"]
    for other in ("fin-snmp", "shared"):
        assert (
            client.get(f"/api/v1/credentials/{world.ids[other]}", headers=world.operator).status_code == 404
        )


def test_a_scoped_operator_cannot_bind_another_agencys_or_a_shared_profile(
    client: TestClient, world: World
) -> None:
    device = f"/api/v1/devices/{world.ids['his-db']}"
    other = client.patch(device, json={"credentials_id": world.ids["fin-snmp"]}, headers=world.operator)
    assert other.status_code in (403, 404, 422) and other.json()["field"] == "credentials_id", other.text
    new = client.post(
        "/api/v1/devices",
        json={
            "name": "his-web",
            "role": "server",
            "owner_agency_id": world.ids["health"],
            "credentials_id": world.ids["fin-snmp"],
        },
        headers=world.operator,
    )
    assert new.status_code in (403, 404, 422), new.text
    shared = client.patch(device, json={"credentials_id": world.ids["shared"]}, headers=world.operator)
    assert shared.status_code == 403 and shared.json()["field"] == "credentials_id", shared.text
    assert client.get(device, headers=world.admin).json()["credentials_id"] is None

    own = client.patch(device, json={"credentials_id": world.ids["his-snmp"]}, headers=world.operator)
    assert own.status_code == 200, own.text


def test_only_an_admin_binds_a_shared_profile(client: TestClient, world: World) -> None:
    device = f"/api/v1/devices/{world.ids['his-db']}"
    noc = client.patch(device, json={"credentials_id": world.ids["shared"]}, headers=world.noc)
    assert noc.status_code == 403, noc.text
    assert (
        client.patch(device, json={"credentials_id": world.ids["shared"]}, headers=world.admin).status_code
        == 200
    )
    # Unchanged on a later edit by an operator: only a new binding is judged.
    rename = client.patch(device, json={"description": "HIS"}, headers=world.noc)
    assert rename.status_code == 200, rename.text


def test_a_discovery_sweep_uses_only_the_profiles_its_requester_may_use(
    client: TestClient, world: World
) -> None:
    body = {"ranges": ["127.0.0.250"], "timeout_s": 0.1}
    for names in (["fin-snmp"], ["shared-snmp"], ["his-snmp", "fin-snmp"]):
        refused = client.post(
            "/api/v1/discovery/jobs", json={**body, "credentials": names}, headers=world.operator
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "credentials"
        known = refused.json()["detail"].split("known:")[-1]  # never lists others' profiles
        assert "fin-snmp" not in known and "shared-snmp" not in known, refused.text
    assert client.get("/api/v1/discovery/jobs", headers=world.admin).json()["count"] == 0
