"""Every route of the OpenAPI schema, walked with tokens scoped to one agency (operator, planner,
collector) against another agency's objects: reads, writes, deletes, bulk, reports, events.

A route missing from the walk's table fails the test, so a new route must say how it is walked.
Any answer that names the other agency's objects (the marker in their names and addresses) is a
leak; any write answered 2xx is a write that should have been refused (a few routes act on the
caller's own session or token and are listed as such)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from collectors.traps.models import TrapLog
from eams.alerts.models import Alert
from eams.api.resources import Resource
from eams.api.routes.alerts import RULES, SILENCES
from eams.api.routes.architecture import ARCHITECTURE_RESOURCES
from eams.api.routes.inventory import INVENTORY_RESOURCES
from eams.services import Services
from inventory import discovery
from inventory.discovery import ObservedDevice
from inventory.models import FactSource, Role
from tests.conftest import TokenFactory, auth

MARKER = "BIMAT"  # in every name of the other agency's objects
ADDRESS = "10.99.99."  # the other agency's addresses
RESOURCES: tuple[Resource, ...] = (*INVENTORY_RESOURCES, *ARCHITECTURE_RESOURCES, RULES, SILENCES)
WRITES = {"post", "put", "patch", "delete"}


def _post(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@dataclass
class World:
    admin: dict[str, str]
    tokens: dict[str, dict[str, str]]  # operator, planner, collector: scoped to "health"
    other: dict[str, int] = field(default_factory=dict)  # resource path: the other agency's object


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory, services: Services) -> World:
    admin = auth(make_token(Role.admin, "root"))
    health = _post(client, "agencies", {"name": "Sở Y tế", "kind": "department"}, admin)
    finance = _post(client, "agencies", {"name": f"Sở Tài chính {MARKER}", "kind": "department"}, admin)
    world = World(
        admin,
        {
            role.value: auth(make_token(role, f"health-{role.value}", agency_id=health))
            for role in (Role.operator, Role.planner, Role.collector)
        },
    )
    o = world.other
    o["agencies"] = finance
    site = _post(client, "sites", {"name": "DC Tỉnh", "kind": "data_center"}, admin)
    maker = _post(client, "manufacturers", {"name": "Dell"}, admin)
    o |= {
        "sites": site,
        "locations": _post(client, "locations", {"name": "Phòng máy", "site_id": site}, admin),
        "racks": _post(client, "racks", {"name": "R01", "site_id": site}, admin),
        "manufacturers": maker,
        "device-types": _post(client, "device-types", {"manufacturer_id": maker, "model": "R740"}, admin),
        "platforms": _post(client, "platforms", {"name": "Linux", "ssh_driver": "linux"}, admin),
        "credentials": _post(
            client,
            "credentials",
            {"name": f"stc-{MARKER}", "kind": "snmp_v2c", "community": "x", "owner_agency_id": finance},
            admin,
        ),
        "custom-fields": _post(
            client, "custom-fields", {"name": "ma_tai_san", "object_type": "device", "type": "text"}, admin
        ),
    }
    o["devices"] = _post(
        client, "devices", {"name": f"stc-{MARKER}-db", "role": "server", "owner_agency_id": finance}, admin
    )
    o["interfaces"] = _post(client, "interfaces", {"device_id": o["devices"], "name": f"eth-{MARKER}"}, admin)
    o["ip-addresses"] = _post(
        client, "ip-addresses", {"address": f"{ADDRESS}1/24", "interface_id": o["interfaces"]}, admin
    )
    o["framework-versions"] = _post(client, "framework-versions", {"code": "KT3", "name": "Khung 3.0"}, admin)
    o["reference-model-nodes"] = _post(
        client,
        "reference-model-nodes",
        {"framework_id": o["framework-versions"], "model": "BRM", "code": "BRM.1", "name": "Nghiệp vụ"},
        admin,
    )
    system = {"category": "other", "scope": "agency", "owner_agency_id": finance}
    o["information-systems"] = _post(client, "information-systems", {**system, "name": f"HT {MARKER}"}, admin)
    o["public-services"] = _post(
        client, "public-services", {"name": f"DVC {MARKER}", "code": "STC-01", "agency_id": finance}, admin
    )
    o["deployments"] = _post(
        client,
        "deployments",
        {"system_id": o["information-systems"], "environment": "production", "device_id": o["devices"]},
        admin,
    )
    o["data-objects"] = _post(
        client, "data-objects", {"name": f"CSDL {MARKER}", "steward_agency_id": finance}, admin
    )
    o["integrations"] = _post(
        client,
        "integrations",
        {
            "name": f"LT {MARKER}",
            "source_system_id": o["information-systems"],
            "channel": "lgsp",
            "external_party": "Kho bạc Nhà nước",
        },
        admin,
    )
    o["security-levels"] = _post(
        client, "security-levels", {"system_id": o["information-systems"], "proposed_level": 2}, admin
    )
    o["contracts"] = _post(
        client, "contracts", {"name": f"HĐ {MARKER}", "agency_id": finance, "kind": "support"}, admin
    )
    o["roadmap-plans"] = _post(client, "roadmap-plans", {"name": "Kế hoạch"}, admin)
    o["roadmap-phases"] = _post(
        client, "roadmap-phases", {"plan_id": o["roadmap-plans"], "name": "GĐ1"}, admin
    )
    o["roadmap-tasks"] = _post(
        client,
        "roadmap-tasks",
        {
            "phase_id": o["roadmap-phases"],
            "name": f"NV {MARKER}",
            "type": "upgrade",
            "funding_source": "provincial",
            "lead_agency_id": finance,
        },
        admin,
    )
    o["roadmap-task-effects"] = _post(
        client,
        "roadmap-task-effects",
        {
            "task_id": o["roadmap-tasks"],
            "action": "changes",
            "target_type": "information_system",
            "target_id": o["information-systems"],
        },
        admin,
    )
    o["redundancy-groups"] = _post(client, "redundancy-groups", {"name": "Cặp", "min_up": 1}, admin)
    o["dependencies"] = _post(
        client,
        "dependencies",
        {
            "source_type": "information_system",
            "source_id": o["information-systems"],
            "kind": "hosted_on",
            "target_type": "device",
            "target_id": o["devices"],
        },
        admin,
    )
    o["alert-rules"] = _post(
        client,
        "alert-rules",
        {
            "name": "ups-low",
            "kind": "threshold",
            "measurement": "ups",
            "field": "battery_percent",
            "op": "<",
            "value": 30,
            "severity": "critical",
        },
        admin,
    )
    o["silences"] = _post(
        client,
        "silences",
        {
            "matchers": [{"name": "site", "value": "DC"}],
            "comment": "bảo trì",
            "ends_at": "2099-01-01T00:00:00Z",
        },
        admin,
    )
    changes = client.get(
        "/api/v1/changes", params={"object_type": "device", "object_id": o["devices"]}, headers=admin
    ).json()
    o["change"] = changes["results"][0]["id"]
    with services.db.session() as session:
        o["fact"] = discovery.stage_device(
            session, ObservedDevice(source=FactSource.ssh, device_id=o["devices"], firmware_version="2.0")
        )[0].id
        now = datetime.now(UTC)
        alert = Alert(
            fingerprint="f" * 32,
            rule_name=f"rule-{MARKER}",
            rule_kind="threshold",
            category="operational",
            severity="critical",
            device_id=o["devices"],
            entity="",
            labels={},
            state="firing",
            summary=f"{MARKER} down",
            summary_vi=f"{MARKER} mất kết nối",
            started_at=now,
            firing_at=now,
        )
        trap = TrapLog(
            source=f"{ADDRESS}1",
            device_id=o["devices"],
            version="2c",
            security_name="public",
            trap_oid="1.3.6.1.6.3.1.1.5.3",
            name="linkDown",
            severity="warning",
            category="operational",
            message=f"{MARKER} eth0 down",
        )
        session.add_all([alert, trap])
        session.flush()
        o["alert"], o["trap"] = alert.id, trap.id
    return world


# ---------------------------------------------------------------------------------------------
# The walk's table: (method, path) -> how to call it. Resource routes are generated below.


@dataclass(frozen=True)
class Call:
    path: str  # with {placeholders} filled from the world by `fill`
    params: dict[str, Any] = field(default_factory=dict)
    body: Callable[[World], Any] | None = None
    content: bytes | None = None
    own: bool = False  # acts on the caller's own session or token: a 2xx is allowed


def _resource_calls(resource: Resource) -> dict[tuple[str, str], Call]:
    base = f"/api/v1/{resource.path}"
    one = f"{base}/{{{resource.path}}}"

    def copy(world: World) -> Any:
        return {"__copy__": resource.path}

    def ids(world: World) -> Any:
        return {"ids": [world.other[resource.path]]}

    def bulk_patch(world: World) -> Any:
        return [{"id": world.other[resource.path]}]

    return {
        ("get", base): Call(base, params={"limit": 1000}),
        ("post", base): Call(base, body=copy),
        ("post", f"{base}/bulk"): Call(f"{base}/bulk", body=lambda w: [copy(w)]),
        ("patch", f"{base}/bulk"): Call(f"{base}/bulk", body=bulk_patch),
        ("delete", f"{base}/bulk"): Call(f"{base}/bulk", body=ids),
        ("get", f"{base}/{{object_id}}"): Call(one),
        ("patch", f"{base}/{{object_id}}"): Call(one, body=lambda w: {}),
        ("delete", f"{base}/{{object_id}}"): Call(one),
    }


def _event(world: World) -> Any:
    return {"kind": "snmp_trap", "name": "linkDown", "device_id": world.other["devices"]}


def _batch(world: World) -> Any:
    event = {**_event(world), "time_ns": 1}
    return {"batch_id": "b1", "samples": [], "events": [event]}


DEVICE = "/api/v1/devices/{devices}"
HAND_MADE: dict[tuple[str, str], Call] = {
    ("post", "/api/v1/devices/import"): Call(
        "/api/v1/devices/import",
        content=f"name,role,owner_agency\nx-01,server,Sở Tài chính {MARKER}\n".encode(),
    ),
    ("get", "/api/v1/devices/export.csv"): Call("/api/v1/devices/export.csv"),
    ("get", "/api/v1/reports/impact"): Call(
        "/api/v1/reports/impact", params={"node_type": "device", "node_id": "{devices}"}
    ),
    ("get", "/api/v1/reports/dependencies"): Call(
        "/api/v1/reports/dependencies",
        params={"node_type": "information_system", "node_id": "{information-systems}"},
    ),
    ("get", "/api/v1/reports/duplicates"): Call("/api/v1/reports/duplicates"),
    ("get", "/api/v1/reports/lifecycle"): Call("/api/v1/reports/lifecycle", params={"within_days": 3650}),
    ("get", "/api/v1/reports/security"): Call("/api/v1/reports/security"),
    ("get", "/api/v1/reports/roadmap"): Call("/api/v1/reports/roadmap"),
    ("get", "/api/v1/reports/portfolio"): Call("/api/v1/reports/portfolio"),
    ("get", "/api/v1/changes"): Call("/api/v1/changes", params={"limit": 1000}),
    ("get", "/api/v1/changes/{change_id}"): Call("/api/v1/changes/{change}"),
    ("get", "/api/v1/traps"): Call("/api/v1/traps"),
    ("get", "/api/v1/traps/unknown"): Call("/api/v1/traps/unknown"),
    ("get", "/api/v1/traps/status"): Call("/api/v1/traps/status"),
    ("get", "/api/v1/traps/{trap_id}"): Call("/api/v1/traps/{trap}"),
    ("get", "/api/v1/syslog"): Call("/api/v1/syslog"),
    ("get", "/api/v1/syslog/unknown-senders"): Call("/api/v1/syslog/unknown-senders"),
    ("get", "/api/v1/syslog/status"): Call("/api/v1/syslog/status"),
    ("get", "/api/v1/syslog/{message_id}"): Call("/api/v1/syslog/1"),
    ("get", "/api/v1/sinks/influx"): Call("/api/v1/sinks/influx"),
    ("get", "/api/v1/sinks/store"): Call("/api/v1/sinks/store"),
    ("get", "/api/v1/cluster"): Call("/api/v1/cluster"),
    ("get", "/api/v1/discovered-facts"): Call("/api/v1/discovered-facts"),
    ("get", "/api/v1/discovered-facts/{fact_id}"): Call("/api/v1/discovered-facts/{fact}"),
    ("post", "/api/v1/discovered-facts/{fact_id}/accept"): Call("/api/v1/discovered-facts/{fact}/accept"),
    ("post", "/api/v1/discovered-facts/{fact_id}/reject"): Call("/api/v1/discovered-facts/{fact}/reject"),
    ("get", "/api/v1/discovery/jobs"): Call("/api/v1/discovery/jobs"),
    ("post", "/api/v1/discovery/jobs"): Call(
        "/api/v1/discovery/jobs", body=lambda w: {"ranges": [f"{ADDRESS}1"], "timeout_s": 0.1}
    ),
    ("get", "/api/v1/discovery/jobs/{job_id}"): Call("/api/v1/discovery/jobs/1"),
    ("post", "/api/v1/devices/{device_id}/config-backups"): Call(f"{DEVICE}/config-backups"),
    ("get", "/api/v1/devices/{device_id}/config-versions"): Call(f"{DEVICE}/config-versions"),
    ("get", "/api/v1/devices/{device_id}/config-versions/diff"): Call(
        f"{DEVICE}/config-versions/diff", params={"from": 1, "to": 2}
    ),
    ("get", "/api/v1/devices/{device_id}/config-versions/{version}"): Call(f"{DEVICE}/config-versions/1"),
    ("get", "/api/v1/devices/{device_id}/ssh-outputs"): Call(f"{DEVICE}/ssh-outputs"),
    ("get", "/api/v1/alerts"): Call("/api/v1/alerts"),
    ("get", "/api/v1/alerts/{alert_id}"): Call("/api/v1/alerts/{alert}"),
    ("post", "/api/v1/alerts/{alert_id}/ack"): Call(
        "/api/v1/alerts/{alert}/ack", body=lambda w: {"comment": "x"}
    ),
    ("get", "/api/v1/alert-outbox"): Call("/api/v1/alert-outbox"),
    ("get", "/api/v1/alert-routing"): Call("/api/v1/alert-routing"),
    ("put", "/api/v1/alert-routing"): Call(
        "/api/v1/alert-routing", body=lambda w: {"receivers": [{"name": "r"}], "route": {"receiver": "r"}}
    ),
    ("post", "/api/v1/events"): Call("/api/v1/events", body=_event),
    ("get", "/api/v1/devices/{device_id}/status"): Call(f"{DEVICE}/status"),
    ("get", "/api/v1/metrics/series"): Call(
        "/api/v1/metrics/series", params={"device": "{devices}", "measurement": "host_cpu", "field": "usage"}
    ),
    ("get", "/api/v1/metrics/top"): Call(
        "/api/v1/metrics/top", params={"measurement": "host_cpu", "field": "usage", "agency": "{agencies}"}
    ),
    ("get", "/api/v1/metrics/latest"): Call(
        "/api/v1/metrics/latest", params={"device": "{devices}", "field": "host_cpu.usage"}
    ),
    ("get", "/api/v1/tokens"): Call("/api/v1/tokens"),
    ("post", "/api/v1/tokens"): Call("/api/v1/tokens", body=lambda w: {"name": "x", "role": "admin"}),
    ("delete", "/api/v1/tokens/{token_id}"): Call("/api/v1/tokens/1"),
    ("put", "/api/v1/collectors/{name}"): Call("/api/v1/collectors/c1", body=lambda w: {"site": "DC Tỉnh"}),
    ("get", "/api/v1/collectors/{name}/targets"): Call("/api/v1/collectors/c1/targets"),
    ("post", "/api/v1/collectors/{name}/samples"): Call("/api/v1/collectors/c1/samples", body=_batch),
    ("get", "/api/v1/collectors"): Call("/api/v1/collectors"),
    ("put", "/api/v1/devices/{device_id}/collector"): Call(
        f"{DEVICE}/collector", body=lambda w: {"collector": None}
    ),
    ("delete", "/api/v1/devices/{device_id}/collector"): Call(f"{DEVICE}/collector"),
    ("post", "/api/v1/auth/login"): Call(
        "/api/v1/auth/login", body=lambda w: {"username": "x", "password": "y"}
    ),
    ("post", "/api/v1/auth/login/mfa"): Call("/api/v1/auth/login/mfa", body=lambda w: {"code": "000000"}),
    ("post", "/api/v1/auth/logout"): Call("/api/v1/auth/logout", own=True),
    ("post", "/api/v1/auth/logout-all"): Call("/api/v1/auth/logout-all", own=True),
    ("get", "/api/v1/auth/me"): Call("/api/v1/auth/me"),
    ("get", "/api/v1/auth/sessions"): Call("/api/v1/auth/sessions"),
    ("delete", "/api/v1/auth/sessions/{session_id}"): Call("/api/v1/auth/sessions/1"),
    ("delete", "/api/v1/auth/sessions"): Call("/api/v1/auth/sessions"),
    ("post", "/api/v1/auth/password"): Call(
        "/api/v1/auth/password", body=lambda w: {"current_password": "x", "new_password": "y" * 16}
    ),
    ("post", "/api/v1/auth/mfa/enrol"): Call("/api/v1/auth/mfa/enrol"),
    ("post", "/api/v1/auth/mfa/confirm"): Call("/api/v1/auth/mfa/confirm", body=lambda w: {"code": "000000"}),
    ("post", "/api/v1/auth/mfa/recovery-codes"): Call("/api/v1/auth/mfa/recovery-codes"),
    ("post", "/api/v1/auth/mfa/disable"): Call("/api/v1/auth/mfa/disable", body=lambda w: {"code": "000000"}),
    ("get", "/api/v1/users"): Call("/api/v1/users"),
    ("post", "/api/v1/users"): Call("/api/v1/users", body=lambda w: {"username": "u", "role": "admin"}),
    ("get", "/api/v1/users/{user_id}"): Call("/api/v1/users/1"),
    ("patch", "/api/v1/users/{user_id}"): Call("/api/v1/users/1", body=lambda w: {"role": "admin"}),
    ("post", "/api/v1/users/{user_id}/password"): Call("/api/v1/users/1/password", body=lambda w: {}),
    ("post", "/api/v1/users/{user_id}/disable"): Call("/api/v1/users/1/disable"),
    ("post", "/api/v1/users/{user_id}/unlock"): Call("/api/v1/users/1/unlock"),
    ("post", "/api/v1/users/{user_id}/mfa/reset"): Call("/api/v1/users/1/mfa/reset"),
    ("get", "/api/v1/users/{user_id}/sessions"): Call("/api/v1/users/1/sessions"),
    ("delete", "/api/v1/users/{user_id}/sessions"): Call("/api/v1/users/1/sessions"),
    ("get", "/api/v1/audit"): Call("/api/v1/audit", params={"limit": 1000}),
    ("get", "/api/v1/audit/export.csv"): Call("/api/v1/audit/export.csv"),
    ("get", "/api/v1/audit/verify"): Call("/api/v1/audit/verify"),
    ("get", "/healthz"): Call("/healthz"),
    ("get", "/metrics"): Call("/metrics"),
}


def walk_table() -> dict[tuple[str, str], Call]:
    table = dict(HAND_MADE)
    for resource in RESOURCES:
        table.update(_resource_calls(resource))
    return table


def schema_routes(client: TestClient) -> set[tuple[str, str]]:
    document = client.app.openapi()  # type: ignore[attr-defined]
    return {(method, path) for path, ops in document["paths"].items() for method in ops}


def test_the_walk_covers_every_route_of_the_schema(client: TestClient) -> None:
    missing = sorted(schema_routes(client) - set(walk_table()))
    assert missing == [], f"add these routes to the walk's table in {__name__}: {missing}"


# ---------------------------------------------------------------------------------------------


def fill(text: str, world: World) -> str:
    for key, value in world.other.items():
        text = text.replace(f"{{{key}}}", str(value))
    assert "{" not in text, f"unfilled placeholder in {text}"
    return text


def copy_body(client: TestClient, world: World, path: str) -> dict[str, Any]:
    """A create body made from the admin's read of the other agency's object: the same owner,
    the same references, a fresh name (so only the scope rule can refuse it)."""
    resource = next(r for r in RESOURCES if r.path == path)
    read = client.get(f"/api/v1/{path}/{world.other[path]}", headers=world.admin).json()
    fields = resource.create_schema.model_fields
    body = {k: v for k, v in read.items() if k in fields and v not in (None, [], {})}
    for key in ("name", "code", "model"):
        if isinstance(body.get(key), str):
            body[key] = f"{body[key]}-2"[:20] if key == "code" else f"{body[key]}-2"
    if path == "credentials":
        body["community"] = "x"
    if path == "ip-addresses":
        body["address"] = f"{ADDRESS}2/24"
    return body


def leaked(response: httpx.Response) -> bool:
    text = response.text
    if "json" in response.headers.get("content-type", ""):
        with contextlib.suppress(ValueError):
            text = json.dumps(response.json(), ensure_ascii=False)
    return MARKER in text or ADDRESS in text


def call(
    client: TestClient, world: World, method: str, spec: Call, headers: dict[str, str]
) -> httpx.Response:
    body: Any = None
    if spec.body is not None:
        body = spec.body(world)
        if isinstance(body, dict) and "__copy__" in body:
            body = copy_body(client, world, body["__copy__"])
        elif isinstance(body, list) and body and isinstance(body[0], dict) and "__copy__" in body[0]:
            body = [copy_body(client, world, body[0]["__copy__"])]
    params = {k: fill(str(v), world) for k, v in spec.params.items()}
    extra = {"Content-Type": "text/csv"} if spec.content is not None else {}
    return client.request(
        method.upper(),
        fill(spec.path, world),
        params=params,
        json=body,
        content=spec.content,
        headers={**headers, **extra},
    )


def walk(client: TestClient, world: World, headers: dict[str, str]) -> list[str]:
    """Call every route once; the problems found, one line each."""
    table = walk_table()
    problems: list[str] = []
    # Reads first and deletes last, so a write that got through cannot hide a later leak.
    order = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
    for method, path in sorted(schema_routes(client), key=lambda route: (order[route[0]], route[1])):
        spec = table[(method, path)]
        response = call(client, world, method, spec, headers)
        where = f"{method.upper()} {path} -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"{where}: server error {response.text[:200]}")
        if leaked(response):
            problems.append(f"{where}: names the other agency's objects: {response.text[:300]}")
        if method in WRITES and response.is_success and not spec.own:
            problems.append(f"{where}: a write that should have been refused: {response.text[:200]}")
    return problems


@pytest.mark.parametrize("who", ["operator", "planner", "collector"])
def test_a_scoped_token_never_reads_or_writes_another_agencys_objects(
    client: TestClient, world: World, who: str
) -> None:
    problems = walk(client, world, world.tokens[who])
    assert problems == [], "\n".join(problems)


def test_the_walk_would_see_a_leak_and_a_write(
    client: TestClient, world: World, make_token: TokenFactory
) -> None:
    """The control: an unscoped operator may read and change everything, and the walk says so."""
    problems = walk(client, world, auth(make_token(Role.operator, "noc")))
    assert any(p.startswith("GET /api/v1/devices -> 200: names") for p in problems), problems
    assert any(p.startswith("GET /api/v1/reports/impact -> 200: names") for p in problems), problems
    assert any(p.startswith("PATCH /api/v1/devices/{object_id} -> 200: a write") for p in problems), problems
    assert any(p.startswith("POST /api/v1/events -> 202: a write") for p in problems), problems
