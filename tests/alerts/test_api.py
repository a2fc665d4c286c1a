"""The alerts API as the security team, operators and remote collectors use it."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from eams.alerts.engine import AlertEngine, load_routing
from eams.alerts.models import AlertRouting
from eams.alerts.notify.webhook import verify
from eams.services import Services
from inventory.models import Role
from tests.alerts.receivers import HttpReceiver
from tests.conftest import TokenFactory, auth

SOC_SECRET = "soc-shared-secret"


def wait_for(check: Any, what: str, timeout: float = 15.0) -> None:
    """Background loops run in the app's own thread; give them time (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s")


def routing_for(hook: HttpReceiver) -> dict[str, Any]:
    return {
        "receivers": [
            {"name": "noc-log", "log": {}},
            {"name": "soc-hook", "webhook": {"url": hook.url, "secret": SOC_SECRET}},
        ],
        "route": {
            "receiver": "noc-log",
            "group_wait": "0s",
            "routes": [{"matchers": [{"name": "category", "value": "security"}], "receiver": "soc-hook"}],
        },
    }


def test_an_event_posted_by_a_collector_reaches_the_security_team_and_only_they_handle_it(
    admin: TestClient, make_token: TokenFactory, services: Services, hook: HttpReceiver
) -> None:
    firewall = admin.post("/api/v1/devices", json={"name": "fw-edge-01", "role": "firewall"}).json()
    assert admin.put("/api/v1/alert-routing", json=routing_for(hook)).status_code == 200
    engine = services.extras["alerts"]
    assert isinstance(engine, AlertEngine)
    wait_for(lambda: "soc-hook" in engine.channels, "the engine picking up the new routing")

    collector = auth(make_token(Role.collector, "remote-site-1"))
    trap = {
        "kind": "snmp_trap",
        "name": "authenticationFailure",  # as the trap receiver names 1.3.6.1.6.3.1.1.5.5
        "severity": "warning",
        "message": "SNMP authentication failure from 10.0.0.66",
        "device_id": firewall["id"],
    }
    assert admin.post("/api/v1/events", json={**trap, "kind": ""}).json()["errors"][0]["field"] == "kind"
    planner = auth(make_token(Role.planner, "planner"))
    assert admin.post("/api/v1/events", json=trap, headers=planner).status_code == 403
    assert admin.post("/api/v1/events", json=trap, headers=collector).status_code == 202
    wait_for(lambda: hook.requests, "the security webhook receiving the alert")

    [request] = hook.requests
    assert verify(
        SOC_SECRET, request.headers["X-EAMS-Timestamp"], request.body, request.headers["X-EAMS-Signature"]
    )
    [sent] = request.json()["alerts"]
    assert (sent["rule"], sent["device"], sent["category"]) == (
        "snmp-trap-auth-failure",
        "fw-edge-01",
        "security",
    )

    security = auth(make_token(Role.security, "soc-an"))
    operator = auth(make_token(Role.operator, "noc-binh"))
    seen = admin.get("/api/v1/alerts", params={"category": "security"}, headers=security).json()
    [alert] = seen["results"]
    assert admin.get("/api/v1/alerts", headers=operator).json()["count"] == 0, (
        "operators see operational alerts"
    )
    assert admin.get("/api/v1/alerts", headers=auth(make_token(Role.planner))).status_code == 403

    ack = f"/api/v1/alerts/{alert['id']}/ack"
    assert admin.post(ack, json={"comment": "đã chặn IP"}, headers=operator).status_code == 404
    assert admin.post(ack, json={}, headers=security).status_code == 422
    done = admin.post(ack, json={"comment": "đã chặn IP 10.0.0.66"}, headers=security)
    assert done.status_code == 200, done.text
    assert done.json()["acked_by"] == "soc-an"
    again = admin.post(ack, json={"comment": "lần nữa"}, headers=security)
    assert again.status_code == 409 and "soc-an" in again.json()["detail"]
    history = admin.get(f"/api/v1/alerts/{alert['id']}", headers=security).json()["history"]
    assert [h["action"] for h in history] == ["firing", "acknowledged"]
    assert history[1]["detail"] == "đã chặn IP 10.0.0.66"


def test_alert_rules_are_managed_through_the_api_with_errors_that_name_the_field(admin: TestClient) -> None:
    rule = {
        "name": "dc-ups-battery-low",
        "kind": "threshold",
        "measurement": "ups",
        "field": "battery_percent",
        "op": "<",
        "value": 30,
        "clear": 50,
        "for": "2m",
        "severity": "critical",
        "scope": {"roles": ["ups"]},
    }
    created = admin.post("/api/v1/alert-rules", json=rule)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["origin"] == "api" and body["spec"]["for"] == 120

    missing = admin.post("/api/v1/alert-rules", json={**rule, "name": "x", "value": None})
    assert missing.status_code == 422 and "value" in missing.json()["detail"]
    wrong_side = admin.post("/api/v1/alert-rules", json={**rule, "name": "y", "clear": 10})
    assert wrong_side.status_code == 422 and "clear" in wrong_side.json()["detail"]
    bad_duration = admin.post("/api/v1/alert-rules", json={**rule, "name": "z", "for": "soon"})
    assert bad_duration.status_code == 422 and bad_duration.json()["errors"][0]["field"] == "for"
    unknown_check = admin.post(
        "/api/v1/alert-rules", json={"name": "c", "kind": "inventory", "check": "nope"}
    )
    assert unknown_check.status_code == 422 and unknown_check.json()["field"] == "check"
    duplicate = admin.post("/api/v1/alert-rules", json=rule)
    assert duplicate.status_code == 409

    patched = admin.patch(f"/api/v1/alert-rules/{body['id']}", json={"value": 20, "clear": 40})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["spec"]["value"], patched.json()["spec"]["for"]) == (20, 120)
    shipped = admin.get("/api/v1/alert-rules", params={"origin": "file", "category": "security"}).json()
    assert {r["name"] for r in shipped["results"]} >= {"snmp-trap-auth-failure", "config-changed"}
    assert admin.delete(f"/api/v1/alert-rules/{body['id']}").status_code == 204


def test_silences_and_routing_validate_input_and_never_show_secrets(
    admin: TestClient, services: Services, hook: HttpReceiver, make_token: TokenFactory
) -> None:
    no_end = admin.post(
        "/api/v1/silences", json={"matchers": [{"name": "site", "value": "DC"}], "comment": "x"}
    )
    assert no_end.status_code == 422 and "ends_at" in no_end.json()["detail"]
    bad_regex = admin.post(
        "/api/v1/silences",
        json={
            "matchers": [{"name": "device", "op": "=~", "value": "sw-("}],
            "ends_at": "2030-01-01T00:00:00Z",
            "comment": "x",
        },
    )
    assert bad_regex.status_code == 422 and "regular expression" in bad_regex.json()["detail"]
    weekly = admin.post(
        "/api/v1/silences",
        json={
            "kind": "maintenance",
            "matchers": [{"name": "tag", "value": "core"}],
            "recurrence": {"weekdays": [5], "start": "22:00", "duration": "4h"},
            "comment": "bảo trì hằng tuần",
        },
    )
    assert weekly.status_code == 201, weekly.text
    assert weekly.json()["created_by"] == "token:admin"
    bad_day = admin.post(
        "/api/v1/silences",
        json={
            "matchers": [{"name": "tag", "value": "core"}],
            "recurrence": {"weekdays": [7], "start": "22:00", "duration": "1h"},
            "comment": "x",
        },
    )
    assert bad_day.status_code == 422 and "weekdays" in bad_day.json()["detail"]

    unknown = routing_for(hook)
    unknown["route"]["routes"][0]["receiver"] = "nobody"
    refused = admin.put("/api/v1/alert-routing", json=unknown)
    assert refused.status_code == 422 and "nobody" in refused.json()["detail"]

    assert admin.put("/api/v1/alert-routing", json=routing_for(hook)).status_code == 200
    shown = admin.get("/api/v1/alert-routing").json()
    assert shown["receivers"][1]["webhook"]["secret"] == "********"
    assert admin.put("/api/v1/alert-routing", json=shown).status_code == 200, (
        "sending ******** keeps the secret"
    )
    with services.db.session() as session:
        row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()))
        assert SOC_SECRET.encode() not in (row.secrets_encrypted or b"")
        stored = load_routing(row, services.secret_box)
    assert stored.receivers[1].webhook is not None and stored.receivers[1].webhook.secret == SOC_SECRET

    # A receiver pointed somewhere else must not carry the stored secret there.
    moved = admin.get("/api/v1/alert-routing").json()
    moved["receivers"][1]["webhook"]["url"] = "http://127.0.0.1:9/collect"
    refused_move = admin.put("/api/v1/alert-routing", json=moved)
    assert refused_move.status_code == 422
    assert refused_move.json()["field"] == "receivers.soc-hook.webhook.secret"
    moved["receivers"][1]["webhook"]["secret"] = "a-new-secret"
    assert admin.put("/api/v1/alert-routing", json=moved).status_code == 200

    # The routing tree is the province's: a token scoped to one agency may not rewrite it.
    agency = admin.post("/api/v1/agencies", json={"name": "Sở Tài chính", "kind": "department"}).json()
    scoped = auth(make_token(Role.operator, "stc-ops", agency_id=agency["id"]))
    assert admin.put("/api/v1/alert-routing", json=moved, headers=scoped).status_code == 403


def test_a_token_scoped_to_an_agency_sees_only_its_devices_alerts(
    admin: TestClient, make_token: TokenFactory, services: Services
) -> None:
    from datetime import UTC, datetime

    from eams.alerts.models import Alert

    health = admin.post("/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department"}).json()
    education = admin.post("/api/v1/agencies", json={"name": "Sở Giáo dục", "kind": "department"}).json()
    ours = admin.post(
        "/api/v1/devices", json={"name": "srv-yt", "role": "server", "owner_agency_id": health["id"]}
    )
    theirs = admin.post(
        "/api/v1/devices", json={"name": "srv-gd", "role": "server", "owner_agency_id": education["id"]}
    )
    now = datetime.now(UTC)
    with services.db.session() as session:
        for device in (ours.json(), theirs.json()):
            session.add(
                Alert(
                    fingerprint=f"fp-{device['id']}",
                    rule_name="cpu-high",
                    rule_kind="threshold",
                    category="operational",
                    severity="warning",
                    device_id=device["id"],
                    labels={"device": device["name"]},
                    state="firing",
                    started_at=now,
                    firing_at=now,
                )
            )
    scoped = auth(make_token(Role.operator, "yt-operator", agency_id=health["id"]))
    seen = admin.get("/api/v1/alerts", headers=scoped).json()
    assert [a["labels"]["device"] for a in seen["results"]] == ["srv-yt"]
    other = next(
        a for a in admin.get("/api/v1/alerts").json()["results"] if a["labels"]["device"] == "srv-gd"
    )
    assert admin.get(f"/api/v1/alerts/{other['id']}", headers=scoped).status_code == 404
