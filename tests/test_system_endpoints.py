"""/healthz without a token; /metrics with one, in Prometheus text with request and inventory gauges."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_needs_no_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_metrics_count_requests_and_what_the_inventory_holds(admin: TestClient) -> None:
    assert admin.get("/metrics", headers={"Authorization": ""}).status_code == 401
    site = admin.post("/api/v1/sites", json={"name": "TTDL", "kind": "data_center"}).json()
    for name, status in (("a", "active"), ("b", "active"), ("c", "retired")):
        body = {"name": name, "role": "server", "status": status, "site_id": site["id"]}
        assert admin.post("/api/v1/devices", json=body).status_code == 201

    response = admin.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("eams_inventory_objects", (("type", "device"),))] == 3
    assert found[("eams_inventory_objects", (("type", "site"),))] == 1
    assert found[("eams_inventory_objects", (("type", "agency"),))] == 0
    assert found[("eams_devices", (("status", "active"),))] == 2
    assert found[("eams_devices", (("status", "retired"),))] == 1
    assert found[("eams_api_tokens_usable", ())] == 1
    assert found[("eams_database_up", ())] == 1
    created = (("method", "POST"), ("route", "/api/v1/devices"), ("status", "201"))
    assert found[("eams_http_requests_total", created)] == 3
