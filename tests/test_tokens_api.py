"""Admins manage API tokens over HTTP: list (never values), create (value shown once), revoke."""

from __future__ import annotations

from fastapi.testclient import TestClient

from inventory.models import Role
from tests.conftest import TokenFactory, auth


def test_admin_creates_lists_and_revokes_a_token(admin: TestClient) -> None:
    created = admin.post("/api/v1/tokens", json={"name": "nguyen.van.a", "role": "planner"})
    assert created.status_code == 201, created.text
    body = created.json()
    clear = body["token"]
    assert clear.startswith("eams_") and clear.startswith(body["prefix"])
    planner = auth(clear)
    assert admin.get("/api/v1/devices", headers=planner).status_code == 200
    assert (
        admin.post("/api/v1/devices", json={"name": "x", "role": "server"}, headers=planner).status_code
        == 403
    )

    listed = admin.get("/api/v1/tokens").json()
    assert listed["count"] == 2
    assert {t["name"] for t in listed["results"]} == {"admin", "nguyen.van.a"}
    assert clear not in admin.get("/api/v1/tokens").text and "digest" not in listed["results"][0]

    assert admin.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert admin.get("/api/v1/devices", headers=planner).status_code == 401
    revoked = admin.get("/api/v1/tokens", params={"revoked": "true"}).json()
    assert [t["id"] for t in revoked["results"]] == [body["id"]]
    assert admin.delete("/api/v1/tokens/424242").status_code == 404


def test_only_admins_manage_tokens_and_bad_input_names_the_field(
    admin: TestClient, make_token: TokenFactory
) -> None:
    operator = auth(make_token(Role.operator, "op"))
    assert admin.get("/api/v1/tokens", headers=operator).status_code == 403
    assert (
        admin.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=operator).status_code == 403
    )
    assert admin.get("/api/v1/tokens", headers={"Authorization": ""}).status_code == 401
    bad_role = admin.post("/api/v1/tokens", json={"name": "x", "role": "root"})
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["field"] == "role"
    no_agency = admin.post("/api/v1/tokens", json={"name": "x", "role": "planner", "agency_id": 999})
    assert no_agency.status_code == 422 and no_agency.json()["field"] == "agency_id"


def test_a_scoped_admin_only_hands_out_tokens_inside_its_agency(
    admin: TestClient, make_token: TokenFactory
) -> None:
    province = admin.post("/api/v1/agencies", json={"name": "Tỉnh Lào Cai", "kind": "province"}).json()
    health = admin.post(
        "/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "parent_id": province["id"]}
    ).json()
    other = admin.post("/api/v1/agencies", json={"name": "Tỉnh Yên Bái", "kind": "province"}).json()
    scoped = auth(make_token(Role.admin, "province-admin", agency_id=province["id"]))
    unscoped = admin.post("/api/v1/tokens", json={"name": "x", "role": "planner"}, headers=scoped)
    assert unscoped.status_code == 403 and unscoped.json()["field"] == "agency_id"
    outside = admin.post(
        "/api/v1/tokens", json={"name": "x", "role": "planner", "agency_id": other["id"]}, headers=scoped
    )
    assert outside.status_code == 403
    inside = admin.post(
        "/api/v1/tokens", json={"name": "yte", "role": "planner", "agency_id": health["id"]}, headers=scoped
    )
    assert inside.status_code == 201
    assert [t["name"] for t in admin.get("/api/v1/tokens", headers=scoped).json()["results"]] == [
        "province-admin",
        "yte",
    ]
