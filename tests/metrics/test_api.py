"""/api/v1/metrics over the embedded store of a running service: series, top and latest answer what
was written (rates, utilisation, units), a scoped token reads only its agencies' devices, and every
bad parameter is a 4xx that names it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from collectors.samples import Sample
from eams.metrics.wiring import STORE_KEY
from eams.services import Services
from inventory.models import Role
from tests.conftest import TokenFactory, auth

NS = 1_000_000_000
POLLS = 30
INTERVAL_S = 60
SPEED_MBPS = 1  # so that 7,500 B/s is 6 % of it


@dataclass(frozen=True)
class World:
    admin: dict[str, str]
    scoped: dict[str, str]  # planner of the health department
    devices: dict[str, int]
    first_ns: int


def _post(client: TestClient, path: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def polls(device: str, octets_per_second: int, first_ns: int) -> list[list[Sample]]:
    """One poll a minute: uptime, and two interfaces whose in_octets grow at a steady rate."""
    rounds = []
    for i in range(POLLS):
        at = first_ns + i * INTERVAL_S * NS
        samples = [
            Sample("snmp_system", {"device": device}, {"uptime_s": 1000.0 + i * INTERVAL_S}, time_ns=at)
        ]
        for port in (1, 2):
            samples.append(
                Sample(
                    "interface",
                    {"device": device, "role": "switch", "ifIndex": str(port), "ifName": f"Gi0/{port}"},
                    {
                        "in_octets": octets_per_second * port * INTERVAL_S * i,
                        "speed_mbps": SPEED_MBPS,
                        "oper_status": "up",
                    },
                    time_ns=at,
                    counters=frozenset({"in_octets"}),
                )
            )
        rounds.append(samples)
    return rounds


@pytest.fixture
def world(client: TestClient, make_token: TokenFactory, services: Services) -> World:
    admin = auth(make_token(Role.admin, "root"))
    health = _post(client, "agencies", {"name": "Sở Y tế", "kind": "department"}, admin)
    finance = _post(client, "agencies", {"name": "Sở Tài chính", "kind": "department"}, admin)
    devices = {
        "sw-yte": _post(
            client, "devices", {"name": "sw-yte", "role": "switch", "owner_agency_id": health}, admin
        ),
        "sw-tc": _post(
            client, "devices", {"name": "sw-tc", "role": "switch", "owner_agency_id": finance}, admin
        ),
    }
    sink = services.extras[STORE_KEY]
    first_ns = time.time_ns() - POLLS * INTERVAL_S * NS

    async def feed() -> None:
        for name, rate in (("sw-yte", 7500), ("sw-tc", 30000)):
            for samples in polls(name, rate, first_ns):
                await sink.consume_samples(samples)
        await sink.flush()

    client.portal.call(feed)  # type: ignore[union-attr]
    scoped = auth(make_token(Role.planner, "yte", agency_id=health))
    return World(admin, scoped, devices, first_ns)


def get(client: TestClient, path: str, headers: dict[str, str], **params: object) -> dict[str, object]:
    response = client.get(f"/api/v1/metrics/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_series_turns_counters_into_rates_per_interface_in_the_schemas_unit(
    client: TestClient, world: World
) -> None:
    body = get(
        client,
        "series",
        world.admin,
        device="sw-yte",
        measurement="interface",
        field="in_octets",
        since="40m",
        step="5m",
    )
    assert body["backend"] == "store" and body["resolution"] == "raw" and body["step_s"] == 300
    series = body["series"]
    assert isinstance(series, list)
    assert [(s["entity"]["ifName"], s["unit"], s["kind"], s["device_id"]) for s in series] == [
        ("Gi0/1", "B/s", "rate", world.devices["sw-yte"]),
        ("Gi0/2", "B/s", "rate", world.devices["sw-yte"]),
    ]
    for s, expected in zip(series, (7500.0, 15000.0), strict=True):
        rates = [v for v in s["mean"] if v is not None]
        assert rates and all(v == pytest.approx(expected) for v in rates)
        assert s["min"] == s["mean"] or all(
            a is None or a == pytest.approx(b) for a, b in zip(s["min"], s["mean"], strict=True)
        )
        assert sum(s["count"]) == POLLS - 1  # the first poll has no rate: nothing came before it
        assert len(s["time"]) == len(s["mean"]) and s["time"] == sorted(s["time"])


def test_raw_counters_and_utilisation(client: TestClient, world: World) -> None:
    raw = get(
        client,
        "series",
        world.admin,
        device="sw-yte",
        measurement="interface",
        field="in_octets",
        since="40m",
        step="1m",
        raw="true",
        entity="ifName=Gi0/1",
    )
    (series,) = raw["series"]  # type: ignore[misc]
    assert series["kind"] == "value" and series["unit"] == "B"
    assert [v for v in series["last"] if v is not None] == [7500 * INTERVAL_S * i for i in range(POLLS)]
    used = get(
        client,
        "series",
        world.admin,
        device="sw-yte",
        measurement="interface",
        field="in_octets",
        since="40m",
        step="5m",
        utilisation="true",
    )
    percents = {s["entity"]["ifName"]: {v for v in s["mean"] if v is not None} for s in used["series"]}
    # 7,500 B/s = 60 kbit/s = 6 % of 1 Mbit/s; twice that on the second port
    assert {k: {round(v, 6) for v in vs} for k, vs in percents.items()} == {"Gi0/1": {6.0}, "Gi0/2": {12.0}}
    assert {s["unit"] for s in used["series"]} == {"%"}


def test_top_ranks_the_busiest_interfaces_and_a_scoped_token_sees_only_its_agency(
    client: TestClient, world: World
) -> None:
    body = get(client, "top", world.admin, measurement="interface", field="in_octets", window="15m", limit=3)
    entries = [(e["device"], e["entity"]["ifName"], round(e["value"])) for e in body["entries"]]
    assert entries == [("sw-tc", "Gi0/2", 60000), ("sw-tc", "Gi0/1", 30000), ("sw-yte", "Gi0/2", 15000)]
    assert body["unit"] == "B/s" and body["kind"] == "rate"
    assert body["entries"][0]["device_id"] == world.devices["sw-tc"]
    scoped = get(client, "top", world.scoped, measurement="interface", field="in_octets", window="15m")
    assert {e["device"] for e in scoped["entries"]} == {"sw-yte"}


def test_latest_of_many_devices_rates_text_and_gauges_within_scope(client: TestClient, world: World) -> None:
    fields = ["interface.in_octets", "interface.oper_status", "snmp_system.uptime_s"]
    body = get(client, "latest", world.admin, field=fields)
    rows = {(r["device"], r["measurement"], r["entity"].get("ifName")): r["values"] for r in body["rows"]}
    assert rows[("sw-tc", "interface", "Gi0/1")]["in_octets"]["value"] == pytest.approx(30000)
    assert rows[("sw-tc", "interface", "Gi0/1")]["in_octets"]["kind"] == "rate"
    assert rows[("sw-tc", "interface", "Gi0/1")]["oper_status"] == {
        "value": "up",
        "time": rows[("sw-tc", "interface", "Gi0/1")]["oper_status"]["time"],
        "kind": "text",
        "unit": "",
    }
    assert rows[("sw-yte", "snmp_system", None)]["uptime_s"]["value"] == 1000.0 + (POLLS - 1) * INTERVAL_S
    scoped = get(client, "latest", world.scoped, field=fields)
    assert {r["device"] for r in scoped["rows"]} == {"sw-yte"}


def test_a_scoped_token_cannot_read_another_agencys_device(client: TestClient, world: World) -> None:
    for device in ("sw-tc", str(world.devices["sw-tc"])):
        response = client.get(
            "/api/v1/metrics/series",
            params={"device": device, "measurement": "interface", "field": "in_octets"},
            headers=world.scoped,
        )
        assert response.status_code == 404
        assert response.json()["field"] == "device"
    response = client.get(
        "/api/v1/metrics/latest",
        params={"device": "sw-tc", "field": "snmp_system.uptime_s"},
        headers=world.scoped,
    )
    assert response.status_code == 404


BAD_PARAMETERS = [
    ("series", {"measurement": "nope", "field": "x"}, "measurement"),
    ("series", {"measurement": "interface", "field": "nope"}, "field"),
    ("series", {"measurement": "interface", "field": "oper_status"}, "field"),
    ("series", {"measurement": "interface", "field": "in_octets", "entity": "site=x"}, "entity"),
    ("series", {"measurement": "interface", "field": "in_octets", "entity": "ifName"}, "entity"),
    ("series", {"measurement": "interface", "field": "in_octets", "since": "30d", "step": "1s"}, "step"),
    ("series", {"measurement": "interface", "field": "in_octets", "since": "-5m"}, "since"),
    ("series", {"measurement": "interface", "field": "in_octets", "since": "5m", "start": "1"}, "since"),
    ("series", {"measurement": "interface", "field": "in_octets", "start": "yesterday"}, "start"),
    (
        "series",
        {"measurement": "interface", "field": "in_octets", "start": "2030-01-01T00:00:00"},
        "start",
    ),
    ("series", {"measurement": "interface", "field": "speed_mbps", "utilisation": "true"}, "utilisation"),
    ("series", {"measurement": "interface", "field": "in_octets", "device": "ghost"}, "device"),
    ("top", {"measurement": "interface", "field": "in_octets", "window": "2d"}, "window"),
    ("top", {"measurement": "interface", "field": "in_octets", "window": "soon"}, "window"),
    ("latest", {"field": "uptime_s"}, "field"),
    ("latest", {"field": "snmp_system.nope"}, "field"),
]


def test_bad_parameters_are_4xx_naming_them(client: TestClient, world: World) -> None:
    for path, params, field in BAD_PARAMETERS:
        query = {"device": "sw-yte", **params} if path != "top" else params
        response = client.get(f"/api/v1/metrics/{path}", params=query, headers=world.admin)
        assert 400 <= response.status_code < 500, (path, params, response.text)
        assert response.json()["field"] == field, (path, params, response.json())


def test_more_steps_or_points_than_the_bounds_are_refused(
    client: TestClient, world: World, services: Services
) -> None:
    bounds = services.settings.metrics
    query = {"device": "sw-yte", "measurement": "interface", "field": "in_octets"}
    response = client.get(
        "/api/v1/metrics/series", params={**query, "steps": bounds.max_steps + 1}, headers=world.admin
    )
    assert response.status_code == 400 and response.json()["field"] == "steps"
    # two interfaces x 5,000 steps is within max_points (200,000); with a bound of 5,000 it is not
    services.extras.pop("metrics_service", None)
    services.settings.metrics = bounds.model_copy(update={"max_points": 5000})
    try:
        response = client.get(
            "/api/v1/metrics/series",
            params={**query, "since": "5000m", "step": "1m"},
            headers=world.admin,
        )
    finally:
        services.settings.metrics = bounds
        services.extras.pop("metrics_service", None)
    assert response.status_code == 400 and response.json()["field"] == "step", response.text


def test_the_store_reports_what_it_holds(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/sinks/store", headers=world.admin)
    assert response.status_code == 200
    state = response.json()
    assert state["running"] and state["received_samples"] == 2 * POLLS * 3
    assert state["store"]["samples"] == 2 * POLLS * 3 and state["store"]["lost_samples"] == 0
