"""The API description lists every architecture resource and report (it is what /docs shows)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_lists_the_architecture_and_reports(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/information-systems",
        "/api/v1/dependencies/{object_id}",
        "/api/v1/redundancy-groups",
        "/api/v1/security-levels",
        "/api/v1/roadmap-tasks/bulk",
        "/api/v1/reports/impact",
        "/api/v1/reports/portfolio",
    ):
        assert path in paths, path
    impact = paths["/api/v1/reports/impact"]["get"]
    assert {p["name"] for p in impact["parameters"]} >= {
        "node_type",
        "node_id",
        "node_name",
        "format",
        "table",
    }
