"""The `q` search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) only narrows candidates:
results follow every create, update and delete, and equal a plain substring match of every word."""

from __future__ import annotations

from fastapi.testclient import TestClient

from inventory.search import fold


def names(client: TestClient, q: str) -> list[str]:
    response = client.get("/api/v1/devices", params={"q": q, "ordering": "name", "limit": 1000})
    assert response.status_code == 200, response.text
    return [device["name"] for device in response.json()["results"]]


def test_search_follows_writes_and_equals_a_substring_match(admin: TestClient) -> None:
    descriptions = {
        "fw-01": "Tường lửa Sở Y tế",
        "fw-02": "Tường lửa xã Bảo Thắng",
        "sw-01": "Chuyển mạch lõi Sở Y tế",
        "srv-01": "Máy chủ một cửa điện tử",
    }
    ids = {}
    for name, description in descriptions.items():
        created = admin.post(
            "/api/v1/devices", json={"name": name, "role": "server", "description": description}
        )
        ids[name] = created.json()["id"]

    for q in ("tuong lua", "so y te", "y", "bao thang", "mot cua dien tu", "lua xa", "FW-0", "xyz", "ường"):
        words = fold(q).split()
        expected = sorted(
            name for name, text in descriptions.items() if all(w in fold(f"{name} {text}") for w in words)
        )
        assert names(admin, q) == expected, q

    renamed = admin.patch(f"/api/v1/devices/{ids['fw-02']}", json={"description": "Tường lửa xã Cốc San"})
    assert renamed.status_code == 200
    assert names(admin, "bao thang") == []
    assert names(admin, "coc san") == ["fw-02"]
    assert admin.delete(f"/api/v1/devices/{ids['sw-01']}").status_code == 204
    assert names(admin, "chuyen mach") == []
    assert names(admin, "so y te") == ["fw-01"]
