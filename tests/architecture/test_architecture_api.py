"""The architecture resources: systems with their users, typed edges checked against their endpoints,
security dossiers re-opened when a deployment changes, agency scoping, and bad bodies named."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from inventory.models import Role
from tests.architecture.conftest import Example
from tests.conftest import TokenFactory, auth


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def agency(client: TestClient, name: str) -> int:
    return int(post(client, "agencies", {"name": name, "kind": "department"})["id"])


def test_system_with_using_agencies_found_without_diacritics(admin: TestClient) -> None:
    health, land = agency(admin, "Sở Y tế"), agency(admin, "Sở Tài nguyên và Môi trường")
    system = post(
        admin,
        "information-systems",
        {
            "name": "Cổng dịch vụ công tỉnh",
            "category": "public_services",
            "scope": "province",
            "owner_agency_id": health,
            "using_agency_ids": [land, health],
            "reference_codes": ["ARM.01.02"],
            "time_assessment": "invest",
        },
    )
    assert system["using_agency_ids"] == sorted([land, health])
    changed = admin.patch(f"/api/v1/information-systems/{system['id']}", json={"using_agency_ids": [land]})
    assert changed.json()["using_agency_ids"] == [land]
    logged = admin.get(
        "/api/v1/changes",
        params={"object_type": "information_system", "object_id": system["id"], "action": "update"},
    ).json()["results"]
    assert [(c["before"], c["after"]) for c in logged] == [
        ({"using_agency_ids": sorted([land, health])}, {"using_agency_ids": [land]})
    ]
    found = admin.get("/api/v1/information-systems", params={"q": "cong dich vu cong"}).json()
    assert [s["id"] for s in found["results"]] == [system["id"]]
    bad = admin.post(
        "/api/v1/information-systems",
        json={"name": "X", "category": "portal", "scope": "agency", "using_agency_ids": [health, 999999]},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "using_agency_ids"
    assert "999999" in bad.json()["detail"]


def test_dependencies_must_point_at_existing_nodes(admin: TestClient) -> None:
    switch = post(admin, "devices", {"name": "sw-01", "role": "switch"})["id"]
    server = post(admin, "devices", {"name": "srv-01", "role": "server"})["id"]
    group = post(admin, "redundancy-groups", {"name": "Cặp chuyển mạch", "min_up": 1})["id"]
    edge = {"source_type": "device", "source_id": server, "kind": "depends_on", "target_type": "device"}

    made = post(admin, "dependencies", {**edge, "target_id": switch, "redundancy_group_id": group})
    assert (made["state"], made["origin"], made["redundancy_group_id"]) == ("confirmed", "manual", group)

    missing = admin.post("/api/v1/dependencies", json={**edge, "target_id": 999999})
    assert missing.status_code == 422 and missing.json()["field"] == "target_id"
    no_source = admin.post("/api/v1/dependencies", json={**edge, "source_id": 999999, "target_id": switch})
    assert no_source.status_code == 422 and no_source.json()["field"] == "source_id"
    wrong_type = admin.post(
        "/api/v1/dependencies", json={**edge, "target_type": "information_system", "target_id": switch}
    )
    assert wrong_type.status_code == 422 and "information system" in wrong_type.json()["detail"]
    loop = admin.post("/api/v1/dependencies", json={**edge, "target_id": server, "kind": "hosted_on"})
    assert loop.status_code == 422 and loop.json()["field"] == "target_id"
    no_group = admin.post(
        "/api/v1/dependencies",
        json={**edge, "target_id": switch, "kind": "hosted_on", "redundancy_group_id": 999},
    )
    assert no_group.status_code == 422 and no_group.json()["field"] == "redundancy_group_id"
    bad_kind = admin.post("/api/v1/dependencies", json={**edge, "target_id": switch, "kind": "likes"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["detail"]
    # Moving an edge's endpoint is checked the same way.
    moved = admin.patch(f"/api/v1/dependencies/{made['id']}", json={"target_id": 999999})
    assert moved.status_code == 422 and moved.json()["field"] == "target_id"
    group_zero = admin.post("/api/v1/redundancy-groups", json={"name": "Rỗng", "min_up": 0})
    assert group_zero.status_code == 422 and "min_up" in group_zero.json()["detail"]


def test_bad_architecture_bodies_name_the_field(admin: TestClient) -> None:
    system = post(
        admin, "information-systems", {"name": "Thư điện tử", "category": "email", "scope": "province"}
    )
    level = admin.post("/api/v1/security-levels", json={"system_id": system["id"], "proposed_level": 7})
    assert level.status_code == 422 and "proposed_level" in level.json()["detail"]
    unsigned = admin.post(
        "/api/v1/security-levels", json={"system_id": system["id"], "proposed_level": 2, "state": "approved"}
    )
    assert unsigned.status_code == 422 and "decision_number" in unsigned.json()["detail"]
    nowhere = admin.post(
        "/api/v1/integrations", json={"name": "?", "source_system_id": system["id"], "channel": "lgsp"}
    )
    assert nowhere.status_code == 422 and "external_party" in nowhere.json()["detail"]
    deployment = admin.post(
        "/api/v1/deployments", json={"system_id": system["id"], "environment": "production"}
    )
    assert deployment.status_code == 422 and "cloud_service" in deployment.json()["detail"]
    plan = post(admin, "roadmap-plans", {"name": "Kế hoạch"})
    phase = post(admin, "roadmap-phases", {"plan_id": plan["id"], "name": "Giai đoạn 1"})
    task = {"phase_id": phase["id"], "name": "Nâng cấp", "type": "upgrade", "funding_source": "provincial"}
    overspent = admin.post(
        "/api/v1/roadmap-tasks", json={**task, "budget_approved_vnd": 10, "budget_disbursed_vnd": 11}
    )
    assert overspent.status_code == 422 and "budget_disbursed_vnd" in overspent.json()["detail"]
    over = admin.post("/api/v1/roadmap-tasks", json={**task, "percent_complete": 101})
    assert over.status_code == 422 and "percent_complete" in over.json()["detail"]
    made = post(admin, "roadmap-tasks", task)
    effect = {
        "task_id": made["id"],
        "action": "creates",
        "target_type": "information_system",
        "target_id": 999999,
    }
    ghost = admin.post("/api/v1/roadmap-task-effects", json=effect)
    assert ghost.status_code == 422 and ghost.json()["field"] == "target_id"
    late_dates = admin.post(
        "/api/v1/information-systems",
        json={
            "name": "X",
            "category": "portal",
            "scope": "agency",
            "active_on": "2024-01-01",
            "retired_on": "2020-01-01",
        },
    )
    assert late_dates.status_code == 422 and "retired_on" in late_dates.json()["detail"]
    loop = admin.patch(f"/api/v1/information-systems/{system['id']}", json={"parent_id": system["id"]})
    assert loop.status_code == 422 and loop.json()["field"] == "parent_id"


def level_of(example: Example, code: str) -> dict[str, Any]:
    system = example.id_of("information-systems", code=code)
    result: dict[str, Any] = example.get("security-levels", system_id=system)["results"][0]
    return result


def test_moving_a_deployment_reopens_an_approved_security_level(example: Example) -> None:
    client = example.client
    assert level_of(example, "CTTDT")["state"] == "approved"
    portal = example.id_of("information-systems", code="CTTDT")
    production = example.get("deployments", system_id=portal, environment="production")["results"][0]
    new_host = example.id_of("devices", name="dc-esx-04")

    # Changing the system's description is not a deployment change: the approval stands.
    client.patch(f"/api/v1/information-systems/{portal}", json={"description": "Nâng cấp giao diện"})
    assert level_of(example, "CTTDT")["state"] == "approved"

    moved = client.patch(f"/api/v1/deployments/{production['id']}", json={"device_id": new_host})
    assert moved.status_code == 200, moved.text
    record = level_of(example, "CTTDT")
    assert (record["state"], record["redetermination_reason"]) == (
        "redetermination_needed",
        "deployment changed after approval",
    )
    changes = example.get(
        "changes", object_type="security_level_record", object_id=record["id"], action="update"
    )
    assert [change["after"]["state"] for change in changes["results"]] == ["redetermination_needed"]


def test_adding_or_removing_a_deployment_also_reopens_it_but_a_draft_stays_a_draft(example: Example) -> None:
    client = example.client
    lgsp = example.id_of("information-systems", code="LGSP")
    host = example.id_of("devices", name="dr-esx-01")
    post(
        client,
        "deployments",
        {"system_id": lgsp, "environment": "dr", "device_id": host, "vm_name": "vm-lgsp-dr"},
    )
    assert level_of(example, "LGSP")["state"] == "redetermination_needed"

    soc = example.id_of("information-systems", code="SOC")
    deployment = example.get("deployments", system_id=soc)["results"][0]
    assert client.delete(f"/api/v1/deployments/{deployment['id']}").status_code == 204
    assert level_of(example, "SOC")["state"] == "redetermination_needed"

    mail = example.id_of("information-systems", code="MAIL")
    deployment = example.get("deployments", system_id=mail)["results"][0]
    client.patch(f"/api/v1/deployments/{deployment['id']}", json={"vm_name": "vm-mail-01"})
    assert level_of(example, "MAIL")["state"] == "draft"


def test_impact_follows_edges_added_through_the_api(example: Example) -> None:
    def lost_systems() -> set[str]:
        report = example.report("impact", node_name="dc-srv-mail-01")
        return {row["name"] for row in report["tables"]["lost"] if row["node_type"] == "information_system"}

    assert lost_systems() == {"Hệ thống thư điện tử công vụ tỉnh"}
    cache = example.client.app.state.impact_graph  # type: ignore[attr-defined]
    assert cache.builds == 1
    # Renaming the system is not an edge change: the graph is kept, the new name shows at once.
    mail = example.id_of("information-systems", code="MAIL")
    example.client.patch(f"/api/v1/information-systems/{mail}", json={"name": "Thư điện tử công vụ"})
    assert lost_systems() == {"Thư điện tử công vụ"}
    assert cache.builds == 1
    eams = example.id_of("information-systems", code="EAMS")
    post(
        example.client,
        "dependencies",
        {"source_type": "information_system", "source_id": eams, "kind": "depends_on",
         "target_type": "information_system", "target_id": mail},
    )  # fmt: skip
    assert lost_systems() == {"Thư điện tử công vụ", "Hệ thống quản lý kiến trúc (EAMS)"}
    assert cache.builds == 2


def test_a_token_scoped_to_an_agency_sees_its_own_systems(example: Example, make_token: TokenFactory) -> None:
    health = example.id_of("agencies", code="SL.SYT")
    token = make_token(Role.planner, "syt", agency_id=health)
    seen = example.client.get("/api/v1/information-systems", headers=auth(token)).json()
    assert sorted(s["code"] for s in seen["results"]) == ["QLVB-SYT", "YTCS"]
    lifecycle = example.client.get(
        "/api/v1/reports/lifecycle", params={"as_of": "2026-07-01"}, headers=auth(token)
    ).json()
    assert {row["agency"] for row in lifecycle["tables"]["items"]} == {"Sở Y tế"}
    portfolio = example.client.get("/api/v1/reports/portfolio", headers=auth(token)).json()
    assert [
        (r["agency"], r["devices_total"], r["systems_total"]) for r in portfolio["tables"]["agencies"]
    ] == [("Sở Y tế", 3, 2)]
    roadmap = example.client.get(
        "/api/v1/reports/roadmap", params={"as_of": "2026-07-01"}, headers=auth(token)
    )
    assert [r["lead_agency"] for r in roadmap.json()["tables"]["agencies"]] == ["Sở Y tế"]
    duplicates = example.client.get("/api/v1/reports/duplicates", headers=auth(token)).json()
    assert [r["system"] for r in duplicates["tables"]["duplicates"]] == ["Phần mềm quản lý văn bản Sở Y tế"]
    denied = example.client.post(
        "/api/v1/dependencies",
        json={
            "source_type": "device",
            "source_id": 1,
            "kind": "depends_on",
            "target_type": "device",
            "target_id": 2,
        },
        headers=auth(token),
    )
    assert denied.status_code == 403


def test_ids_beyond_any_stored_id_are_refused_as_bad_parameters(admin: TestClient) -> None:
    # Found by fuzzing: SQLite overflowed on such ids and answered 500.
    client = admin
    refused = client.get(f"/api/v1/information-systems/{2**63}")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "object_id"
    deleted = client.request("DELETE", "/api/v1/dependencies/bulk", json={"ids": [2**63]})
    assert deleted.status_code == 422 and deleted.json()["errors"][0]["field"] == "ids.0"
