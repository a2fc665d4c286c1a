"""What the audit middleware records for API writes and exports, and the request ids it gives."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _records(admin: TestClient, **params: str) -> list[dict[str, object]]:
    results: list[dict[str, object]] = admin.get("/api/v1/audit", params={"limit": "1000", **params}).json()[
        "results"
    ]
    return results


def test_writes_are_recorded_with_their_object_agency_and_request_id(admin: TestClient) -> None:
    agency = admin.post("/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "code": "SYT"})
    device = admin.post(
        "/api/v1/devices",
        json={"name": "sw-01", "role": "switch", "owner_agency_id": agency.json()["id"]},
        headers={"X-Request-ID": "phieu-yeu-cau-42"},
    )
    assert device.headers["x-request-id"] == "phieu-yeu-cau-42"
    created = _records(admin, action="devices.create")
    assert len(created) == 1 and created[0]["request_id"] == "phieu-yeu-cau-42"
    assert created[0]["object_id"] == device.json()["id"] and created[0]["agency_id"] == agency.json()["id"]
    change = admin.get("/api/v1/changes", params={"object_type": "device"}).json()["results"][0]
    assert change["request_id"] == "phieu-yeu-cau-42"
    deleted = admin.delete(f"/api/v1/devices/{device.json()['id']}")
    assert deleted.status_code == 204
    gone = _records(admin, action="devices.delete")
    # The device is gone, but the change log kept whose it was.
    assert (
        gone[0]["agency_id"] == agency.json()["id"]
        and gone[0]["request_id"] == deleted.headers["x-request-id"]
    )
    refused = admin.post("/api/v1/devices", json={"name": ""})
    assert refused.status_code == 422
    assert _records(admin, action="devices.create", outcome="failed")[0]["detail"] == {
        "method": "POST",
        "route": "/api/v1/devices",
        "status": 422,
    }


def test_exports_are_recorded_and_reads_are_not(admin: TestClient) -> None:
    assert admin.get("/api/v1/devices/export.csv").status_code == 200
    assert admin.get("/api/v1/reports/lifecycle", params={"format": "csv"}).status_code == 200
    assert admin.get("/api/v1/devices").status_code == 200
    actions = [r["action"] for r in _records(admin)]
    assert actions == ["reports.lifecycle.export", "devices.export"]
    exported = admin.get("/api/v1/audit/export.csv")
    assert exported.status_code == 200 and "devices.export" in exported.text
    assert _records(admin, action="audit.export")
