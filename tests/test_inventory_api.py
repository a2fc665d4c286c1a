"""The inventory API as a planner and an operator use it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from inventory.models import Role
from tests.conftest import TokenFactory, auth


def make_agency(client: TestClient, name: str, kind: str = "department", **extra: object) -> dict:
    response = client.post("/api/v1/agencies", json={"name": name, "kind": kind, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_newcomer_flow_agency_site_device_found_without_diacritics(admin: TestClient) -> None:
    province = make_agency(admin, "Tỉnh Yên Bái", "province", code="15")
    health = make_agency(admin, "Sở Y tế", parent_id=province["id"], code="15.SYT")
    site = admin.post("/api/v1/sites", json={"name": "Trung tâm dữ liệu tỉnh", "kind": "data_center"})
    assert site.status_code == 201, site.text
    device = admin.post(
        "/api/v1/devices",
        json={
            "name": "sw-core-01",
            "role": "switch",
            "site_id": site.json()["id"],
            "owner_agency_id": health["id"],
            "management_ip": "10.0.0.1",
            "description": "Chuyển mạch lõi Sở Y tế",
        },
    )
    assert device.status_code == 201, device.text

    found = admin.get("/api/v1/devices", params={"q": "chuyen mach loi so y te"}).json()
    assert found["count"] == 1
    assert found["results"][0]["name"] == "sw-core-01"
    agencies = admin.get("/api/v1/agencies", params={"q": "Yen Bai"}).json()
    assert [a["name"] for a in agencies["results"]] == ["Tỉnh Yên Bái"]


def test_list_filters_paging_and_ordering(admin: TestClient) -> None:
    for index in range(12):
        role = "switch" if index % 2 else "server"
        body = {"name": f"dev-{index:02d}", "role": role, "warranty_end": f"2026-{index % 12 + 1:02d}-01"}
        assert admin.post("/api/v1/devices", json=body).status_code == 201

    page = admin.get("/api/v1/devices", params={"role": "switch", "limit": 4, "ordering": "-name"}).json()
    assert page["count"] == 6
    assert [d["name"] for d in page["results"]] == ["dev-11", "dev-09", "dev-07", "dev-05"]
    second = admin.get(
        "/api/v1/devices", params={"role": "switch", "limit": 4, "offset": 4, "ordering": "-name"}
    )
    assert [d["name"] for d in second.json()["results"]] == ["dev-03", "dev-01"]

    due = admin.get("/api/v1/devices", params={"warranty_end__lte": "2026-03-01"}).json()
    assert sorted(d["name"] for d in due["results"]) == ["dev-00", "dev-01", "dev-02"]
    not_servers = admin.get("/api/v1/devices", params={"role__n": "server"}).json()
    assert not_servers["count"] == 6
    contains = admin.get("/api/v1/devices", params={"name__ic": "DEV-1"}).json()
    assert contains["count"] == 2
    either = admin.get("/api/v1/devices", params=[("name", "dev-00"), ("name", "dev-05")]).json()
    assert either["count"] == 2
    brief = admin.get("/api/v1/devices", params={"brief": "true", "limit": 1}).json()
    assert brief["results"] == [{"id": brief["results"][0]["id"], "display": "dev-00"}]


def test_bad_filters_name_the_parameter(admin: TestClient) -> None:
    unknown = admin.get("/api/v1/devices", params={"colour": "red"})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["detail"]
    bad_date = admin.get("/api/v1/devices", params={"warranty_end__lte": "soon"})
    assert bad_date.status_code == 400
    assert bad_date.json()["field"] == "warranty_end__lte"
    bad_enum = admin.get("/api/v1/devices", params={"role": "toaster"})
    assert bad_enum.status_code == 400 and "switch" in bad_enum.json()["detail"]
    bad_order = admin.get("/api/v1/devices", params={"ordering": "secret"})
    assert bad_order.status_code == 400 and bad_order.json()["field"] == "ordering"


def test_bad_bodies_are_4xx_naming_the_field(admin: TestClient) -> None:
    response = admin.post(
        "/api/v1/devices", json={"name": "x", "role": "switch", "management_ip": "999.1.1.1"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "management_ip"
    missing_ref = admin.post("/api/v1/devices", json={"name": "x", "role": "switch", "site_id": 4242})
    assert missing_ref.status_code == 422
    assert missing_ref.json()["field"] == "site_id" and "4242" in missing_ref.json()["detail"]
    extra = admin.post("/api/v1/devices", json={"name": "x", "role": "switch", "colour": "red"})
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "colour"
    assert admin.post("/api/v1/devices", json={"name": "dup", "role": "switch"}).status_code == 201
    duplicate = admin.post("/api/v1/devices", json={"name": "dup", "role": "router"})
    assert duplicate.status_code == 409 and "dup" in duplicate.json()["detail"]


def test_delete_refused_while_referenced_and_nothing_lost(admin: TestClient) -> None:
    agency = make_agency(admin, "Sở Tài chính")
    device = admin.post(
        "/api/v1/devices", json={"name": "fw-01", "role": "firewall", "owner_agency_id": agency["id"]}
    )
    refused = admin.delete(f"/api/v1/agencies/{agency['id']}")
    assert refused.status_code == 409
    assert "device" in refused.json()["detail"]
    assert admin.get(f"/api/v1/agencies/{agency['id']}").status_code == 200
    assert admin.delete(f"/api/v1/devices/{device.json()['id']}").status_code == 204
    assert admin.delete(f"/api/v1/agencies/{agency['id']}").status_code == 204
    assert admin.get(f"/api/v1/agencies/{agency['id']}").status_code == 404


def test_bulk_create_is_all_or_nothing_with_row_errors(admin: TestClient) -> None:
    rows = [
        {"name": "a-1", "role": "server"},
        {"name": "a-2", "role": "nope"},
        {"name": "a-1", "role": "server"},
    ]
    response = admin.post("/api/v1/devices/bulk", json=rows)
    assert response.status_code == 422
    assert admin.get("/api/v1/devices").json()["count"] == 0
    good = admin.post(
        "/api/v1/devices/bulk", json=[{"name": "b-1", "role": "server"}, {"name": "b-2", "role": "ups"}]
    )
    assert good.status_code == 201 and len(good.json()) == 2
    ids = [d["id"] for d in good.json()]
    updated = admin.patch(
        "/api/v1/devices/bulk", json=[{"id": ids[0], "status": "spare"}, {"id": ids[1], "status": "retired"}]
    )
    assert updated.status_code == 200, updated.text
    assert [d["status"] for d in updated.json()] == ["spare", "retired"]
    bad_update = admin.patch(
        "/api/v1/devices/bulk", json=[{"id": ids[0], "status": "active"}, {"id": 999999, "status": "active"}]
    )
    assert bad_update.status_code == 422
    assert bad_update.json()["errors"][0]["index"] == 1
    assert admin.get(f"/api/v1/devices/{ids[0]}").json()["status"] == "spare"


def test_change_log_records_before_and_after(admin: TestClient) -> None:
    created = admin.post(
        "/api/v1/devices", json={"name": "srv-01", "role": "server", "firmware_version": "1.0"}
    ).json()
    admin.patch(f"/api/v1/devices/{created['id']}", json={"firmware_version": "2.0"})
    admin.delete(f"/api/v1/devices/{created['id']}")
    changes = admin.get(
        "/api/v1/changes", params={"object_type": "device", "object_id": created["id"]}
    ).json()
    actions = [c["action"] for c in changes["results"]]
    assert actions == ["delete", "update", "create"]
    update = changes["results"][1]
    assert update["before"] == {"firmware_version": "1.0"}
    assert update["after"] == {"firmware_version": "2.0"}
    assert update["actor"] == "token:admin"


def test_roles_and_missing_token(client: TestClient, make_token: TokenFactory) -> None:
    assert client.get("/api/v1/devices").status_code == 401
    assert client.get("/api/v1/devices", headers=auth("eams_not-a-token")).status_code == 401
    planner = auth(make_token(Role.planner, "planner"))
    assert client.get("/api/v1/devices", headers=planner).status_code == 200
    forbidden = client.post("/api/v1/devices", json={"name": "x", "role": "server"}, headers=planner)
    assert forbidden.status_code == 403 and "planner" in forbidden.json()["detail"]
    operator = auth(make_token(Role.operator, "operator"))
    assert (
        client.post("/api/v1/devices", json={"name": "x", "role": "server"}, headers=operator).status_code
        == 201
    )
    assert client.get("/healthz").json()["status"] == "ok"
    assert "eams_http_requests" in client.get("/metrics", headers=planner).text


def test_agency_scoped_token_sees_only_its_subtree(client: TestClient, make_token: TokenFactory) -> None:
    admin = auth(make_token(Role.admin, "root"))
    province = client.post(
        "/api/v1/agencies", json={"name": "Tỉnh Lào Cai", "kind": "province"}, headers=admin
    ).json()
    health = client.post(
        "/api/v1/agencies",
        json={"name": "Sở Y tế", "kind": "department", "parent_id": province["id"]},
        headers=admin,
    ).json()
    hospital = client.post(
        "/api/v1/agencies",
        json={"name": "Bệnh viện tỉnh", "kind": "unit", "parent_id": health["id"]},
        headers=admin,
    ).json()
    finance = client.post(
        "/api/v1/agencies",
        json={"name": "Sở Tài chính", "kind": "department", "parent_id": province["id"]},
        headers=admin,
    ).json()
    for name, owner in [("his-db", hospital["id"]), ("fin-app", finance["id"])]:
        client.post(
            "/api/v1/devices", json={"name": name, "role": "server", "owner_agency_id": owner}, headers=admin
        )

    scoped = auth(make_token(Role.operator, "health-ops", agency_id=health["id"]))
    visible = client.get("/api/v1/devices", headers=scoped).json()
    assert [d["name"] for d in visible["results"]] == ["his-db"]
    names = sorted(a["name"] for a in client.get("/api/v1/agencies", headers=scoped).json()["results"])
    assert names == ["Bệnh viện tỉnh", "Sở Y tế"]
    outside = client.post(
        "/api/v1/devices",
        json={"name": "x", "role": "server", "owner_agency_id": finance["id"]},
        headers=scoped,
    )
    assert outside.status_code == 403
    assert client.get("/api/v1/devices", params={"name": "x"}, headers=admin).json()["count"] == 0


def test_agency_history_successor_and_cycles(admin: TestClient) -> None:
    lao_cai = make_agency(admin, "Tỉnh Lào Cai", "province", valid_from="2004-01-01")
    yen_bai = make_agency(
        admin, "Tỉnh Yên Bái", "province", valid_to="2025-06-30", successor_id=lao_cai["id"]
    )
    history = admin.get("/api/v1/agencies", params={"valid_to__lte": "2025-12-31"}).json()
    assert [a["successor_id"] for a in history["results"]] == [lao_cai["id"]]
    child = make_agency(admin, "Sở Nội vụ", parent_id=yen_bai["id"])
    cycle = admin.patch(f"/api/v1/agencies/{yen_bai['id']}", json={"parent_id": child["id"]})
    assert cycle.status_code == 422 and cycle.json()["field"] == "parent_id"
    reversed_dates = admin.post(
        "/api/v1/agencies",
        json={"name": "x", "kind": "commune", "valid_from": "2025-07-01", "valid_to": "2025-01-01"},
    )
    assert reversed_dates.status_code == 422


def test_credentials_secrets_are_write_only_and_encrypted(admin: TestClient, services) -> None:
    created = admin.post(
        "/api/v1/credentials",
        json={
            "name": "v3-core",
            "kind": "snmp_v3",
            "username": "labv3",
            "auth_protocol": "SHA",
            "priv_protocol": "AES",
            "auth_key": "authpass123",
            "priv_key": "privpass123",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secrets_set"] == ["auth_key", "priv_key"]
    assert "authpass123" not in created.text
    from inventory.models import CredentialsProfile

    with services.db.session() as session:
        stored = session.get(CredentialsProfile, body["id"])
        assert b"authpass123" not in stored.secrets_encrypted
        assert services.secret_box.open(stored.secrets_encrypted)["auth_key"] == "authpass123"
    incomplete = admin.post("/api/v1/credentials", json={"name": "v2", "kind": "snmp_v2c"})
    assert incomplete.status_code == 422 and "community" in incomplete.json()["detail"]
    # dropping the priv key of an authPriv profile leaves it unusable: refused
    broken = admin.patch(f"/api/v1/credentials/{body['id']}", json={"priv_key": None})
    assert broken.status_code == 422
    changes = admin.get("/api/v1/changes", params={"object_type": "credentials_profile"}).text
    assert "authpass123" not in changes and "secrets_encrypted" not in changes


def test_custom_fields_are_typed(admin: TestClient) -> None:
    definition = admin.post(
        "/api/v1/custom-fields", json={"object_type": "device", "name": "contract_no", "type": "integer"}
    )
    assert definition.status_code == 201, definition.text
    ok = admin.post(
        "/api/v1/devices", json={"name": "d", "role": "server", "custom_fields": {"contract_no": 12}}
    )
    assert ok.status_code == 201
    wrong = admin.post(
        "/api/v1/devices", json={"name": "e", "role": "server", "custom_fields": {"contract_no": "twelve"}}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "custom_fields.contract_no"
    unknown = admin.post(
        "/api/v1/devices", json={"name": "f", "role": "server", "custom_fields": {"colour": 1}}
    )
    assert unknown.status_code == 422
    tagged = admin.patch(f"/api/v1/devices/{ok.json()['id']}", json={"tags": ["dmz", "core"]})
    assert tagged.status_code == 200
    assert admin.get("/api/v1/devices", params={"tag": "dmz"}).json()["count"] == 1
    assert admin.get("/api/v1/devices", params={"tag": "dm"}).json()["count"] == 0


def test_timestamps_carry_their_utc_offset(admin: TestClient) -> None:
    body = admin.post("/api/v1/devices", json={"name": "tz-1", "role": "server"}).json()
    assert body["created_at"].endswith(("Z", "+00:00")), body["created_at"]
    again = admin.get(f"/api/v1/devices/{body['id']}").json()
    assert again["updated_at"].endswith(("Z", "+00:00")), again["updated_at"]


def test_date_time_filters_and_tag_filters_answer_on_every_list(admin: TestClient) -> None:
    admin.post("/api/v1/devices", json={"name": "dt-1", "role": "server"})
    for value in ("2000-01-01T00:00:00+07:00", "2000-01-01T00:00:00", "2000-01-01"):
        found = admin.get("/api/v1/devices", params={"created_at__gte": value})
        assert found.status_code == 200, found.text
        assert found.json()["count"] == 1
    assert (
        admin.get("/api/v1/devices", params={"created_at__lte": "2000-01-01T00:00:00Z"}).json()["count"] == 0
    )
    changes = admin.get("/api/v1/changes", params={"time__gte": "2000-01-01T00:00:00+07:00"})
    assert changes.status_code == 200 and changes.json()["count"] >= 1
    # The change log has no tags: asking for them is a bad filter, named, not a crash.
    no_tags = admin.get("/api/v1/changes", params={"tag": "x"})
    assert no_tags.status_code == 400 and no_tags.json()["field"] == "tag"


def test_a_scoped_token_reads_addresses_recorded_on_its_devices_interfaces(
    client: TestClient, make_token: TokenFactory
) -> None:
    admin = auth(make_token(Role.admin, "root"))
    agency = client.post("/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department"}, headers=admin)
    device = client.post(
        "/api/v1/devices",
        json={"name": "his-db", "role": "server", "owner_agency_id": agency.json()["id"]},
        headers=admin,
    ).json()
    interface = client.post(
        "/api/v1/interfaces", json={"device_id": device["id"], "name": "eth0"}, headers=admin
    ).json()
    address = client.post(
        "/api/v1/ip-addresses",
        json={"address": "10.1.2.3/24", "interface_id": interface["id"]},
        headers=admin,
    ).json()
    scoped = auth(make_token(Role.planner, "syt", agency_id=agency.json()["id"]))
    assert client.get(f"/api/v1/ip-addresses/{address['id']}", headers=scoped).status_code == 200
    assert client.get("/api/v1/ip-addresses", headers=scoped).json()["count"] == 1
