"""Reports and the event intake obey the caller's agency scope: a scoped token never reads another
agency's devices or systems through a report that `GET /information-systems/{id}` would hide, and
never feeds an event or a sample about another agency's device."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from inventory.models import Role
from tests.conftest import TokenFactory, auth

SECRET_DEVICE = "kho-bac-db-bi-mat"
SECRET_SYSTEM = "Hệ thống kho bạc bí mật"


def _post(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@dataclass(frozen=True)
class World:
    admin: dict[str, str]
    planner: dict[str, str]  # scoped to health
    operator: dict[str, str]  # scoped to health
    collector: dict[str, str]  # scoped to health
    ids: dict[str, int]


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory) -> World:
    admin = auth(make_token(Role.admin, "root"))
    health = _post(client, "agencies", {"name": "Sở Y tế", "kind": "department"}, admin)
    finance = _post(client, "agencies", {"name": "Sở Tài chính", "kind": "department"}, admin)
    ids = {"health": health, "finance": finance}
    ids["his-db"] = _post(
        client, "devices", {"name": "his-db", "role": "server", "owner_agency_id": health}, admin
    )
    ids["fin-db"] = _post(
        client, "devices", {"name": SECRET_DEVICE, "role": "server", "owner_agency_id": finance}, admin
    )
    system = {"category": "other", "scope": "agency"}
    ids["his"] = _post(
        client, "information-systems", {**system, "name": "HIS bệnh viện", "owner_agency_id": health}, admin
    )
    ids["fin"] = _post(
        client, "information-systems", {**system, "name": SECRET_SYSTEM, "owner_agency_id": finance}, admin
    )

    def edge(source: tuple[str, int], target: tuple[str, int]) -> None:
        body = {
            "source_type": source[0],
            "source_id": source[1],
            "kind": "hosted_on",
            "target_type": target[0],
            "target_id": target[1],
        }
        _post(client, "dependencies", body, admin)

    # Both systems run on health's device; health's system also needs finance's database.
    edge(("information_system", ids["his"]), ("device", ids["his-db"]))
    edge(("information_system", ids["fin"]), ("device", ids["his-db"]))
    edge(("information_system", ids["his"]), ("device", ids["fin-db"]))
    return World(
        admin=admin,
        planner=auth(make_token(Role.planner, "health-planner", agency_id=health)),
        operator=auth(make_token(Role.operator, "health-ops", agency_id=health)),
        collector=auth(make_token(Role.collector, "health-collector", agency_id=health)),
        ids=ids,
    )


def _leaks(response: httpx.Response) -> bool:
    text = response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        text = json.dumps(response.json(), ensure_ascii=False)
    return SECRET_DEVICE in text or SECRET_SYSTEM in text


def test_the_hidden_system_really_is_hidden(client: TestClient, world: World) -> None:
    assert (
        client.get(f"/api/v1/information-systems/{world.ids['fin']}", headers=world.planner).status_code
        == 404
    )


def test_impact_report_shows_a_scoped_token_only_what_its_agencies_may_see(
    client: TestClient, world: World
) -> None:
    params = {"node_type": "device", "node_id": world.ids["his-db"]}
    everything = client.get("/api/v1/reports/impact", params=params, headers=world.admin)
    assert _leaks(everything)  # the admin sees the whole blast radius
    for fmt in ("json", "csv"):
        scoped = client.get("/api/v1/reports/impact", params={**params, "format": fmt}, headers=world.planner)
        assert scoped.status_code == 200, scoped.text
        assert "HIS bệnh viện" in scoped.text
        assert not _leaks(scoped), scoped.text
    body = client.get("/api/v1/reports/impact", params=params, headers=world.planner).json()
    assert body["summary"]["systems"] == 1


def test_reports_about_a_hidden_node_are_404(client: TestClient, world: World) -> None:
    for report, node_type, key in (
        ("impact", "device", "fin-db"),
        ("impact", "information_system", "fin"),
        ("dependencies", "information_system", "fin"),
    ):
        by_id = client.get(
            f"/api/v1/reports/{report}",
            params={"node_type": node_type, "node_id": world.ids[key]},
            headers=world.planner,
        )
        assert by_id.status_code == 404, (report, by_id.text)
        assert not _leaks(by_id)
    by_name = client.get(
        "/api/v1/reports/impact",
        params={"node_type": "device", "node_name": SECRET_DEVICE},
        headers=world.planner,
    )
    assert by_name.status_code == 404


def test_dependencies_report_hides_another_agencys_device(client: TestClient, world: World) -> None:
    params = {"node_type": "information_system", "node_id": world.ids["his"]}
    assert _leaks(client.get("/api/v1/reports/dependencies", params=params, headers=world.admin))
    scoped = client.get("/api/v1/reports/dependencies", params=params, headers=world.planner)
    assert scoped.status_code == 200 and "his-db" in scoped.text
    assert not _leaks(scoped), scoped.text


def _event(device_id: int) -> dict[str, object]:
    return {"kind": "snmp_trap", "name": "linkDown", "severity": "critical", "device_id": device_id}


@pytest.mark.parametrize("who", ["operator", "collector"])
def test_a_scoped_token_cannot_post_an_event_about_another_agencys_device(
    client: TestClient, world: World, who: str
) -> None:
    headers = getattr(world, who)
    refused = client.post("/api/v1/events", json=_event(world.ids["fin-db"]), headers=headers)
    assert refused.status_code in (403, 404), refused.text
    anywhere = client.post("/api/v1/events", json={"kind": "snmp_trap", "name": "coldStart"}, headers=headers)
    assert anywhere.status_code in (403, 422), anywhere.text
    own = client.post("/api/v1/events", json=_event(world.ids["his-db"]), headers=headers)
    assert own.status_code == 202, own.text
    unscoped = client.post("/api/v1/events", json=_event(world.ids["fin-db"]), headers=world.admin)
    assert unscoped.status_code == 202
