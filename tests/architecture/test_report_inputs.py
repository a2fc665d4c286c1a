"""Bad report parameters are 4xx answers that name the parameter, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.architecture.conftest import Example

CASES: list[tuple[str, dict[str, Any], int, str]] = [
    ("impact", {}, 400, "node_id"),
    ("impact", {"node_id": 999999}, 404, "node_id"),
    ("impact", {"node_id": "abc"}, 422, "node_id"),
    ("impact", {"node_id": 2**63}, 404, "node_id"),  # beyond any id: no overflow in the database
    ("impact", {"node_type": "toaster", "node_id": 1}, 422, "node_type"),
    ("impact", {"node_name": "no-such-box"}, 404, "node_name"),
    ("impact", {"node_type": "deployment", "node_name": "x"}, 400, "node_name"),
    ("dependencies", {"node_type": "information_system", "node_id": 999999}, 404, "node_id"),
    ("duplicates", {"models": "XYZ"}, 400, "models"),
    ("duplicates", {"models": ","}, 400, "models"),
    ("lifecycle", {"within_days": -1}, 422, "within_days"),
    ("lifecycle", {"as_of": "soon"}, 422, "as_of"),
    ("roadmap", {"plan_id": 999999}, 404, "plan_id"),
    ("roadmap", {"plan_id": 2**63}, 422, "plan_id"),
    ("roadmap", {"as_of": "2026-13-01"}, 422, "as_of"),
]


@pytest.mark.parametrize(("name", "params", "status", "field"), CASES)
def test_bad_parameter_is_named(
    example_readonly: Example, name: str, params: dict, status: int, field: str
) -> None:
    response = example_readonly.client.get(f"/api/v1/reports/{name}", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert field in (body.get("field") or body["detail"]), body


def test_failed_nodes_by_id_and_by_name_add_up(example_readonly: Example) -> None:
    core = example_readonly.id_of("devices", name="dc-core-sw-01")
    esx = example_readonly.id_of("devices", name="dc-esx-01")
    params = {"node_id": core, "node_name": "dc-esx-01"}
    response = example_readonly.client.get("/api/v1/reports/impact", params=params)
    assert response.status_code == 200
    failed = response.json()["parameters"]["failed"]
    assert failed.split("; ") == [f"device:{core} dc-core-sw-01", f"device:{esx} dc-esx-01"]


def test_reports_need_a_token(example_readonly: Example) -> None:
    response = example_readonly.client.get("/api/v1/reports/portfolio", headers={"Authorization": ""})
    assert response.status_code == 401
