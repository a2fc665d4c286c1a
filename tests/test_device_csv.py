"""Devices as a planner's spreadsheet: CSV import (all or nothing) and export that imports back."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from inventory.models import Role
from tests.conftest import TokenFactory, auth

HEADER = (
    "name,role,manufacturer,model,platform,serial,asset_tag,firmware_version,management_ip,site,rack,"
    "position,owner_agency,operating_agency,status,purchase_date,purchase_cost_vnd,warranty_end,"
    "credentials,tags,description"
)


@pytest.fixture
def references(admin: TestClient) -> dict[str, int]:
    """What a planner's spreadsheet names: agencies, a site with a rack, a device type, a platform."""

    def post(path: str, body: dict) -> int:
        response = admin.post(f"/api/v1/{path}", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    ids = {
        "province": post("agencies", {"name": "Tỉnh Lào Cai", "kind": "province", "code": "LC"}),
        "site": post("sites", {"name": "Trung tâm dữ liệu tỉnh", "kind": "data_center", "code": "TTDL"}),
        "maker": post("manufacturers", {"name": "Cisco"}),
        "platform": post("platforms", {"name": "Cisco IOS", "ssh_driver": "cisco_ios"}),
        "credentials": post("credentials", {"name": "v2-core", "kind": "snmp_v2c", "community": "public"}),
    }
    ids["health"] = post("agencies", {"name": "Sở Y tế", "kind": "department", "parent_id": ids["province"]})
    ids["rack"] = post("racks", {"name": "R01", "site_id": ids["site"]})
    ids["type"] = post("device-types", {"manufacturer_id": ids["maker"], "model": "C9300-48P"})
    return ids


def import_csv(client: TestClient, text: str, mode: str = "create", bom: bool = False):
    data = ("\ufeff" if bom else "") + text
    return client.post(
        f"/api/v1/devices/import?mode={mode}", content=data.encode(), headers={"Content-Type": "text/csv"}
    )


def test_spreadsheet_with_bom_is_imported_with_names_resolved(
    admin: TestClient, references: dict[str, int]
) -> None:
    sheet = (
        HEADER + "\r\n"
        "sw-core-01,switch,Cisco,C9300-48P,Cisco IOS,FOC123,TS-0001,17.9.4,10.0.0.1,Trung tâm dữ liệu tỉnh,"
        "R01,20,Sở Y tế,LC,active,15/03/2023,1.250.000.000,2028-03-15,v2-core,core;dmz,Chuyển mạch lõi\r\n"
        "ups-01,ups,,,,,,,,TTDL,,,LC,,spare,,,,,,\r\n"
    )
    response = import_csv(admin, sheet, bom=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "create", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}

    switch = admin.get("/api/v1/devices", params={"q": "chuyen mach loi"}).json()["results"][0]
    assert switch["device_type_id"] == references["type"]
    assert switch["platform_id"] == references["platform"]
    assert switch["rack_id"] == references["rack"] and switch["position"] == 20
    assert switch["owner_agency_id"] == references["health"]
    assert switch["operating_agency_id"] == references["province"]
    assert switch["credentials_id"] == references["credentials"]
    assert switch["purchase_date"] == "2023-03-15" and switch["purchase_cost_vnd"] == 1_250_000_000
    assert switch["tags"] == ["core", "dmz"]
    ups = admin.get("/api/v1/devices", params={"name": "ups-01"}).json()["results"][0]
    assert ups["site_id"] == references["site"] and ups["status"] == "spare"
    changes = admin.get("/api/v1/changes", params={"object_type": "device", "action": "create"}).json()
    assert changes["count"] == 2 and changes["results"][0]["actor"] == "token:admin"


def test_one_bad_row_writes_nothing_and_every_problem_names_row_and_column(
    admin: TestClient, references: dict[str, int]
) -> None:
    sheet = (
        "name,role,site,rack,owner_agency,management_ip,purchase_date\n"
        "good-01,server,TTDL,R01,LC,10.0.0.5,2024-01-01\n"
        "bad-02,toaster,Kho,R01,Sở Không Có,10.0.0.999,soon\n"
        "good-01,server,,,,,\n"
    )
    response = import_csv(admin, sheet)
    assert response.status_code == 422
    problems = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert problems == {
        (3, "role"),
        (3, "site"),
        (3, "owner_agency"),
        (3, "purchase_date"),
        (3, "management_ip"),
        (4, "name"),
    }
    messages = " ".join(e["message"] for e in response.json()["errors"])
    assert "Kho" in messages and "Sở Không Có" in messages and "row 2" in messages
    assert "nothing was imported" in response.json()["detail"]
    assert admin.get("/api/v1/devices").json()["count"] == 0
    assert admin.get("/api/v1/changes", params={"object_type": "device"}).json()["count"] == 0


def test_write_checks_of_the_api_apply_to_each_row(admin: TestClient, references: dict[str, int]) -> None:
    assert (
        admin.post("/api/v1/devices", json={"name": "old", "role": "server", "asset_tag": "TS-9"}).status_code
        == 201
    )
    sheet = "name,role,asset_tag,management_ip\nnew-01,server,TS-9,10.0.0.1\nnew-02,server,,1.2.3\n"
    response = import_csv(admin, sheet)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "asset_tag"), (3, "management_ip")]
    assert "TS-9" in errors[0]["message"]
    assert admin.get("/api/v1/devices").json()["count"] == 1


def test_create_refuses_existing_names_upsert_updates_only_the_files_columns(
    admin: TestClient, references: dict[str, int]
) -> None:
    assert import_csv(admin, "name,role,serial\nfw-01,firewall,S1\n").status_code == 200
    again = import_csv(admin, "name,role,serial\nfw-01,firewall,S2\n")
    assert again.status_code == 422 and "upsert" in again.json()["errors"][0]["message"]
    upsert = import_csv(admin, "name,status\nfw-01,maintenance\nfw-02,planned\n", mode="upsert")
    assert upsert.status_code == 422  # fw-02 is new and has no role
    assert upsert.json()["errors"] == [{"row": 3, "column": "role", "message": "Field required"}]
    upsert = import_csv(admin, "name,status\nfw-01,maintenance\n", mode="upsert")
    assert upsert.json() == {"mode": "upsert", "rows": 1, "created": 0, "updated": 1, "unchanged": 0}
    device = admin.get("/api/v1/devices", params={"name": "fw-01"}).json()["results"][0]
    assert device["status"] == "maintenance" and device["serial"] == "S1"


def test_export_is_utf8_with_bom_filtered_and_imports_back_unchanged(
    admin: TestClient, references: dict[str, int], make_token: TokenFactory
) -> None:
    sheet = (
        HEADER + "\n"
        "sw-01,switch,Cisco,C9300-48P,Cisco IOS,S1,TS-1,17.9,10.0.0.1,TTDL,R01,1,LC,,active,2023-01-02,"
        "1000,2027-01-01,v2-core,core;dmz,Chuyển mạch Yên Bái\n"
        'srv-01,server,,,,,,,,,,,,,retired,,,,,,"Máy chủ ""cũ"", phòng 2"\n'
    )
    assert import_csv(admin, sheet).status_code == 200
    exported = admin.get("/api/v1/devices/export.csv", params={"ordering": "name"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["srv-01", "sw-01"]
    assert rows[1]["site"] == "Trung tâm dữ liệu tỉnh" and rows[1]["owner_agency"] == "LC"
    assert (
        rows[1]["description"] == "Chuyển mạch Yên Bái" and rows[0]["description"] == 'Máy chủ "cũ", phòng 2'
    )

    only = admin.get("/api/v1/devices/export.csv", params={"q": "yen bai", "status__n": "retired"})
    assert [r["name"] for r in csv.DictReader(io.StringIO(only.content.decode("utf-8-sig")))] == ["sw-01"]
    bad = admin.get("/api/v1/devices/export.csv", params={"colour": "red"})
    assert bad.status_code == 400 and bad.json()["field"] == "colour"

    before = admin.get("/api/v1/devices", params={"ordering": "name"}).json()["results"]
    for device in before:
        assert admin.delete(f"/api/v1/devices/{device['id']}").status_code == 204
    planner = auth(make_token(Role.planner, "planner"))
    assert (
        admin.post(
            "/api/v1/devices/import",
            files={"file": ("devices.csv", exported.content, "text/csv")},
            headers=planner,
        ).status_code
        == 403
    )
    uploaded = admin.post(
        "/api/v1/devices/import", files={"file": ("devices.csv", exported.content, "text/csv")}
    )
    assert uploaded.status_code == 200, uploaded.text
    after = admin.get("/api/v1/devices", params={"ordering": "name"}).json()["results"]
    volatile = {"id", "created_at", "updated_at"}
    assert [{k: v for k, v in d.items() if k not in volatile} for d in after] == [
        {k: v for k, v in d.items() if k not in volatile} for d in before
    ]
    assert admin.get("/api/v1/devices/export.csv", params={"ordering": "name"}).content == exported.content


def test_whole_file_problems_are_one_sentence(admin: TestClient) -> None:
    latin1 = admin.post(
        "/api/v1/devices/import",
        content="name,role\nmáy,server\n".encode("latin-1"),
        headers={"Content-Type": "text/csv"},
    )
    assert latin1.status_code == 400 and "UTF-8" in latin1.json()["detail"]
    unknown = import_csv(admin, "name,role,colour\nx,server,red\n")
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
    nameless = import_csv(admin, "role\nserver\n")
    assert nameless.status_code == 400 and "name" in nameless.json()["detail"]
    empty = import_csv(admin, "")
    assert empty.status_code == 400
    json_body = admin.post("/api/v1/devices/import", json={"name": "x"})
    assert json_body.status_code == 415
    no_file = admin.post("/api/v1/devices/import", files={"other": ("a.csv", b"name\n", "text/csv")})
    assert no_file.status_code == 400 and no_file.json()["field"] == "file"
    semicolons = import_csv(admin, 'name;role;tags\nsw-x;switch;"a;b"\n')
    assert semicolons.status_code == 200, semicolons.text
    assert admin.get("/api/v1/devices", params={"name": "sw-x"}).json()["results"][0]["tags"] == ["a", "b"]


def test_a_scoped_token_imports_only_inside_its_agencies(
    admin: TestClient, references: dict[str, int], make_token: TokenFactory
) -> None:
    other = admin.post("/api/v1/agencies", json={"name": "Sở Tài chính", "kind": "department", "code": "STC"})
    scoped = auth(make_token(Role.operator, "yte-operator", agency_id=references["health"]))
    sheet = "name,role,owner_agency\nyte-01,server,Sở Y tế\nstc-01,server,STC\n"
    response = admin.post(
        "/api/v1/devices/import", content=sheet.encode(), headers={**scoped, "Content-Type": "text/csv"}
    )
    assert other.status_code == 201 and response.status_code == 422
    assert [(e["row"], "outside" in e["message"]) for e in response.json()["errors"]] == [(3, True)]
    assert admin.get("/api/v1/devices").json()["count"] == 0


def test_exported_cells_cannot_run_as_spreadsheet_formulas_and_still_import_back(admin: TestClient) -> None:
    created = admin.post(
        "/api/v1/devices",
        json={"name": '=HYPERLINK("http://x")', "role": "server", "description": "+cmd|' /C calc'!A0"},
    )
    assert created.status_code == 201, created.text
    exported = admin.get("/api/v1/devices/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["description"].startswith("'+cmd")
    assert admin.delete(f"/api/v1/devices/{created.json()['id']}").status_code == 204
    back = admin.post("/api/v1/devices/import", files={"file": ("d.csv", exported.content, "text/csv")})
    assert back.status_code == 200, back.text
    [device] = admin.get("/api/v1/devices").json()["results"]
    assert device["name"] == '=HYPERLINK("http://x")'
    assert device["description"] == "+cmd|' /C calc'!A0"
