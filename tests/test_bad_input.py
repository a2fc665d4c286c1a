"""Bad input gets a 4xx that names the field, never a 500 or a database's words: nulls in a PATCH,
enum filters, booleans where numbers belong, malformed JSON, Vietnamese dates, wrong methods."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

CREATE = {
    "devices": {"name": "sw-01", "role": "switch"},
    "agencies": {"name": "Sở Y tế", "kind": "department"},
    "sites": {"name": "Trung tâm dữ liệu", "kind": "data_center"},
}


def created(admin: TestClient, path: str) -> int:
    response = admin.post(f"/api/v1/{path}", json=CREATE[path])
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("path", sorted(CREATE))
@pytest.mark.parametrize("field", ["tags", "custom_fields", "name"])
def test_null_in_a_patch_of_a_field_that_cannot_be_empty_is_a_422_naming_it(
    admin: TestClient, path: str, field: str
) -> None:
    object_id = created(admin, path)
    single = admin.patch(f"/api/v1/{path}/{object_id}", json={field: None})
    assert single.status_code == 422, single.text
    assert [e["field"] for e in single.json()["errors"]] == [field]
    many = admin.patch(f"/api/v1/{path}/bulk", json=[{"id": object_id, field: None}])
    assert many.status_code == 422, many.text
    assert [e["field"] for e in many.json()["errors"]] == [f"0.{field}"]
    assert admin.get(f"/api/v1/{path}/{object_id}").json()[field] is not None


def test_null_clears_a_field_that_may_be_empty(admin: TestClient) -> None:
    object_id = created(admin, "devices")
    assert admin.patch(f"/api/v1/devices/{object_id}", json={"serial": "S1"}).status_code == 200
    cleared = admin.patch(f"/api/v1/devices/{object_id}", json={"serial": None})
    assert cleared.status_code == 200 and cleared.json()["serial"] is None


@pytest.mark.parametrize(
    ("param", "value"), [("state", "burning"), ("severity", "urgent"), ("category", "x")]
)
def test_alert_enum_filters_refuse_unknown_values(admin: TestClient, param: str, value: str) -> None:
    response = admin.get("/api/v1/alerts", params={param: value})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == param
    assert admin.get("/api/v1/alerts", params={param + "__ic": value}).status_code == 200


def test_alert_enum_filters_take_known_values(admin: TestClient) -> None:
    for param, value in (("state", "firing"), ("state", "resolved"), ("severity", "critical")):
        assert admin.get("/api/v1/alerts", params={param: value}).status_code == 200


def test_booleans_are_not_numbers(admin: TestClient) -> None:
    rule = {"name": "warranty", "kind": "inventory", "check": "warranty_end", "days": False}
    response = admin.post("/api/v1/alert-rules", json=rule)
    assert response.status_code == 422, response.text
    assert "days" in response.json()["detail"]
    ok = admin.post("/api/v1/alert-rules", json={**rule, "days": 30})
    assert ok.status_code == 201, ok.text
    patched = admin.patch(f"/api/v1/alert-rules/{ok.json()['id']}", json={"days": True})
    assert patched.status_code == 422, patched.text
    event = {"kind": "snmp_trap", "name": "linkDown", "device_id": False}
    refused = admin.post("/api/v1/events", json=event)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "device_id"
    device = admin.post("/api/v1/devices", json={"name": "sw-01", "role": "switch", "position": True})
    assert device.status_code == 422 and device.json()["errors"][0]["field"] == "position"


def test_malformed_json_names_the_body_with_line_and_column(admin: TestClient) -> None:
    response = admin.post(
        "/api/v1/agencies",
        content=b'{"name": "S\xe1\xbb\x9f Y t\xe1\xba\xbf",\n "kind": "department",,}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert "line 2" in error["message"] and "column" in error["message"]


def test_json_dates_take_day_month_year_as_the_csv_does(admin: TestClient) -> None:
    response = admin.post(
        "/api/v1/devices",
        json={"name": "sw-01", "role": "switch", "warranty_end": "31/12/2027", "purchase_date": "2023-03-15"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["warranty_end"] == "2027-12-31"
    wrong = admin.post(
        "/api/v1/devices", json={"name": "sw-02", "role": "switch", "warranty_end": "31/13/2027"}
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "warranty_end"


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE", "POST"])
def test_wrong_method_on_the_export_is_405(admin: TestClient, method: str) -> None:
    response = admin.request(method, "/api/v1/devices/export.csv")
    assert response.status_code == 405, response.text
