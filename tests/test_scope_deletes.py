"""One authorization rule per verb: a token scoped to an agency may delete (one or in bulk) only
what it may change, and a delete's cascades never remove another agency's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    operator: dict[str, str]  # scoped to "health"
    shared: dict[str, int]  # path: id of a shared (province-wide) record
    agencies: dict[str, int]
    task: int  # a roadmap task led by "finance", below the shared plan


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory) -> World:
    admin = auth(make_token(Role.admin, "root"))
    province = _post(client, "agencies", {"name": "Tỉnh Lào Cai", "kind": "province"}, admin)
    health = _post(
        client, "agencies", {"name": "Sở Y tế", "kind": "department", "parent_id": province}, admin
    )
    finance = _post(
        client, "agencies", {"name": "Sở Tài chính", "kind": "department", "parent_id": province}, admin
    )
    his = _post(client, "devices", {"name": "his-db", "role": "server", "owner_agency_id": health}, admin)
    fin = _post(client, "devices", {"name": "fin-app", "role": "server", "owner_agency_id": finance}, admin)
    site = _post(client, "sites", {"name": "DC Tỉnh", "kind": "data_center"}, admin)
    maker = _post(client, "manufacturers", {"name": "Dell"}, admin)
    plan = _post(client, "roadmap-plans", {"name": "Kế hoạch 2026"}, admin)
    phase = _post(client, "roadmap-phases", {"plan_id": plan, "name": "Giai đoạn 1"}, admin)
    task = _post(
        client,
        "roadmap-tasks",
        {
            "phase_id": phase,
            "name": "Nâng cấp kho bạc",
            "type": "upgrade",
            "funding_source": "provincial",
            "lead_agency_id": finance,
        },
        admin,
    )
    now = datetime.now(UTC)
    shared = {
        "sites": site,
        "racks": _post(client, "racks", {"name": "R01", "site_id": site}, admin),
        "manufacturers": maker,
        "device-types": _post(client, "device-types", {"manufacturer_id": maker, "model": "R740"}, admin),
        "platforms": _post(client, "platforms", {"name": "Linux", "ssh_driver": "linux"}, admin),
        "framework-versions": _post(
            client, "framework-versions", {"code": "KT3.0", "name": "Khung kiến trúc 3.0"}, admin
        ),
        "redundancy-groups": _post(client, "redundancy-groups", {"name": "Cặp", "min_up": 1}, admin),
        "roadmap-plans": plan,
        "roadmap-phases": phase,
        "dependencies": _post(
            client,
            "dependencies",
            {
                "source_type": "device",
                "source_id": fin,
                "kind": "depends_on",
                "target_type": "device",
                "target_id": his,
            },
            admin,
        ),
        "alert-rules": _post(
            client,
            "alert-rules",
            {
                "name": "ups-low",
                "kind": "threshold",
                "measurement": "ups",
                "field": "battery_percent",
                "op": "<",
                "value": 30,
                "severity": "critical",
            },
            admin,
        ),
        "silences": _post(
            client,
            "silences",
            {
                "matchers": [{"name": "site", "value": "DC"}],
                "comment": "bảo trì",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
            admin,
        ),
    }
    operator = auth(make_token(Role.operator, "health-ops", agency_id=health))
    return World(admin, operator, shared, {"health": health, "finance": finance}, task)


SHARED = (
    "sites",
    "racks",
    "manufacturers",
    "device-types",
    "platforms",
    "framework-versions",
    "redundancy-groups",
    "roadmap-plans",
    "roadmap-phases",
    "dependencies",
    "alert-rules",
    "silences",
)


@pytest.mark.parametrize("path", SHARED)
def test_scoped_operator_cannot_delete_a_shared_record(client: TestClient, world: World, path: str) -> None:
    object_id = world.shared[path]
    patched = client.patch(f"/api/v1/{path}/{object_id}", json={}, headers=world.operator)
    one = client.delete(f"/api/v1/{path}/{object_id}", headers=world.operator)
    many = client.request("DELETE", f"/api/v1/{path}/bulk", json={"ids": [object_id]}, headers=world.operator)
    assert patched.status_code == 403, patched.text
    assert one.status_code == 403, one.text
    assert many.status_code == 403, many.text
    assert client.get(f"/api/v1/{path}/{object_id}", headers=world.admin).status_code == 200


def test_deleting_the_shared_plan_never_cascades_into_another_agencys_tasks(
    client: TestClient, world: World
) -> None:
    client.delete(f"/api/v1/roadmap-plans/{world.shared['roadmap-plans']}", headers=world.operator)
    client.delete(f"/api/v1/roadmap-phases/{world.shared['roadmap-phases']}", headers=world.operator)
    assert client.get(f"/api/v1/roadmap-tasks/{world.task}", headers=world.admin).status_code == 200


def test_scoped_operator_cannot_delete_another_agencys_objects(client: TestClient, world: World) -> None:
    finance = world.agencies["finance"]
    one = client.delete(f"/api/v1/agencies/{finance}", headers=world.operator)
    many = client.request("DELETE", "/api/v1/agencies/bulk", json={"ids": [finance]}, headers=world.operator)
    task = client.delete(f"/api/v1/roadmap-tasks/{world.task}", headers=world.operator)
    assert one.status_code == 404 and many.status_code == 422 and task.status_code == 404
    assert client.get(f"/api/v1/agencies/{finance}", headers=world.admin).status_code == 200


def test_a_delete_inside_scope_still_works(
    client: TestClient, world: World, make_token: TokenFactory
) -> None:
    mine = _post(
        client,
        "devices",
        {"name": "his-web", "role": "server", "owner_agency_id": world.agencies["health"]},
        world.operator,
    )
    assert client.delete(f"/api/v1/devices/{mine}", headers=world.operator).status_code == 204
    root = auth(make_token(Role.operator, "noc"))
    assert client.delete(f"/api/v1/sites/{world.shared['sites']}", headers=root).status_code in (204, 409)


def test_a_delete_whose_cascade_reaches_another_agency_is_refused(client: TestClient, world: World) -> None:
    """Deleting one of health's own agencies (a leaf) would remove it from the coordinating
    agencies of a task finance leads: that changes finance's row, so the delete is refused."""
    lab = _post(
        client,
        "agencies",
        {"name": "Trung tâm xét nghiệm", "kind": "unit", "parent_id": world.agencies["health"]},
        world.admin,
    )
    linked = client.patch(
        f"/api/v1/roadmap-tasks/{world.task}", json={"coordinating_agency_ids": [lab]}, headers=world.admin
    )
    assert linked.status_code == 200, linked.text
    refused = client.delete(f"/api/v1/agencies/{lab}", headers=world.operator)
    assert refused.status_code == 403, refused.text
    task = client.get(f"/api/v1/roadmap-tasks/{world.task}", headers=world.admin).json()
    assert task["coordinating_agency_ids"] == [lab]
