"""The service's side of remote collectors: registration, targets with credentials for collector
tokens only, device ownership (one collector per device; the service's own poller keeps out),
batches evaluated once, health, and the alert when a collector goes silent."""

from __future__ import annotations

import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from collectors.remote.config import CollectorWatchConfig
from collectors.remote.models import RemoteCollector
from collectors.remote.watch import CollectorWatch
from collectors.samples import Event, Sample
from collectors.sinks.influx import SpoolingInfluxSink, spooled_body
from collectors.sinks.spool import Spool
from collectors.snmp.targets import load_targets
from eams.services import Services
from inventory.models.enums import Role
from tests.conftest import TokenFactory, auth


class Received:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[Event] = []

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def inventory(admin: TestClient) -> dict[str, int]:
    """Two sites, each with an SNMP device; one more device at the first site."""
    credentials = created(
        admin.post(
            "/api/v1/credentials",
            json={"name": "v2", "kind": "snmp_v2c", "community": "s3cret-community", "port": 1161},
        )
    )
    ids: dict[str, int] = {}
    for site in ("Huyện Đông Anh", "Trung tâm dữ liệu tỉnh"):
        ids[site] = created(admin.post("/api/v1/sites", json={"name": site, "kind": "server_room"}))["id"]
    for name, site, address in (
        ("sw-da-01", "Huyện Đông Anh", "127.0.0.2"),
        ("sw-da-02", "Huyện Đông Anh", "127.0.0.3"),
        ("sw-dc-01", "Trung tâm dữ liệu tỉnh", "127.0.0.4"),
    ):
        device = {
            "name": name,
            "role": "switch",
            "site_id": ids[site],
            "management_ip": address,
            "credentials_id": credentials["id"],
        }
        ids[name] = created(admin.post("/api/v1/devices", json=device))["id"]
    return ids


def register(client: TestClient, token: str, name: str, site: str | None, **health: Any) -> Any:
    return client.put(f"/api/v1/collectors/{name}", json={"site": site, **health}, headers=auth(token))


def target_names(client: TestClient, token: str, name: str) -> list[str]:
    answer = client.get(f"/api/v1/collectors/{name}/targets", headers=auth(token))
    assert answer.status_code == 200, answer.text
    return [t["name"] for t in answer.json()["targets"]]


def test_a_collector_gets_its_sites_devices_with_credentials_and_the_service_keeps_out(
    admin: TestClient, services: Services, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    token = make_token(Role.collector, "collector-da")
    assert register(admin, token, "dong-anh", "Huyện Đông Anh", version="0.1.0").status_code == 200
    answer = admin.get("/api/v1/collectors/dong-anh/targets", headers=auth(token)).json()
    assert [t["name"] for t in answer["targets"]] == ["sw-da-01", "sw-da-02"]
    first = answer["targets"][0]
    assert first["credentials"]["community"] == "s3cret-community"
    assert first["endpoint"] == {"host": "127.0.0.2", "port": 1161, "timeout_s": 2.0, "retries": 1}
    assert "collector" in answer["measurements"] and "interface" in answer["measurements"]

    # The in-service poller polls only what no remote collector owns.
    assert [t.name for t in load_targets(services.db, services.secret_box)] == ["sw-dc-01"]


def test_a_device_moved_between_collectors_is_polled_by_exactly_one(
    admin: TestClient, services: Services, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    da, dc = make_token(Role.collector, "c1"), make_token(Role.collector, "c2")
    register(admin, da, "dong-anh", "Huyện Đông Anh")
    register(admin, dc, "datacenter", "Trung tâm dữ liệu tỉnh")
    moved = admin.put(f"/api/v1/devices/{inventory['sw-da-02']}/collector", json={"collector": "datacenter"})
    assert moved.status_code == 200, moved.text
    assert target_names(admin, da, "dong-anh") == ["sw-da-01"]
    assert target_names(admin, dc, "datacenter") == ["sw-da-02", "sw-dc-01"]
    assert load_targets(services.db, services.secret_box) == []

    to_service = admin.put(f"/api/v1/devices/{inventory['sw-da-02']}/collector", json={"collector": None})
    assert to_service.status_code == 200
    assert target_names(admin, dc, "datacenter") == ["sw-dc-01"]
    assert [t.name for t in load_targets(services.db, services.secret_box)] == ["sw-da-02"]

    assert admin.delete(f"/api/v1/devices/{inventory['sw-da-02']}/collector").status_code == 204
    assert target_names(admin, da, "dong-anh") == ["sw-da-01", "sw-da-02"]

    unknown = admin.put(f"/api/v1/devices/{inventory['sw-da-02']}/collector", json={"collector": "nope"})
    assert unknown.status_code == 422 and "collector" in unknown.text


def test_one_collector_per_site_and_names_belong_to_their_token(
    admin: TestClient, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    first, second = make_token(Role.collector, "c1"), make_token(Role.collector, "c2")
    assert register(admin, first, "dong-anh", "Huyện Đông Anh").status_code == 200
    taken = register(admin, second, "other", "Huyện Đông Anh")
    assert taken.status_code == 409 and "dong-anh" in taken.text
    stolen = register(admin, second, "dong-anh", None)
    assert stolen.status_code == 403 and "another token" in stolen.text
    assert admin.get("/api/v1/collectors/dong-anh/targets", headers=auth(second)).status_code == 403
    unknown_site = register(admin, second, "x", "Nowhere")
    assert unknown_site.status_code == 422 and "site" in unknown_site.text


def test_a_collector_token_reads_nothing_else_and_others_cannot_act_as_collectors(
    admin: TestClient, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    token = make_token(Role.collector, "c1")
    for path in ("/api/v1/devices", "/api/v1/credentials", "/api/v1/collectors", "/api/v1/alerts"):
        assert admin.get(path, headers=auth(token)).status_code == 403, path
    reader = make_token(Role.planner, "planner")
    assert register(admin, reader, "x", None).status_code == 403
    # Not even an admin token receives the decrypted credentials.
    refused = register(admin, make_token(Role.admin, "root"), "x", None)
    assert refused.status_code == 403 and "not a collector" in refused.text
    assert admin.get("/api/v1/collectors", headers=auth(reader)).status_code == 200


def test_a_replayed_batch_is_published_once_and_counted_once(
    admin: TestClient, services: Services, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    received = Received()
    services.pipeline.add_sample_consumer(received)
    services.pipeline.add_event_consumer(received)
    token = make_token(Role.collector, "c1")
    register(admin, token, "dong-anh", "Huyện Đông Anh")
    batch = {
        "batch_id": uuid.uuid4().hex,
        "samples": [
            {
                "measurement": "collector",
                "tags": {"device": "sw-da-01", "component": "snmp"},
                "fields": {"reachable": False, "duration_s": 2.0},
                "time_ns": time.time_ns(),
                "device_id": inventory["sw-da-01"],
            }
        ],
        "events": [{"kind": "collector", "name": "started", "severity": "info", "time_ns": time.time_ns()}],
    }
    first = admin.post("/api/v1/collectors/dong-anh/samples", json=batch, headers=auth(token))
    again = admin.post("/api/v1/collectors/dong-anh/samples", json=batch, headers=auth(token))
    assert first.json() == {"accepted": True, "duplicate": False}
    assert again.json() == {"accepted": False, "duplicate": True}
    assert len(received.samples) == 1 and received.samples[0].fields["reachable"] is False
    assert [e.name for e in received.events] == ["started"]

    health = admin.get("/api/v1/collectors").json()
    assert [
        (c["name"], c["site"], c["batches_received"], c["samples_received"], c["events_received"])
        for c in health
    ] == [("dong-anh", "Huyện Đông Anh", 1, 1, 1)]
    bad = admin.post(
        "/api/v1/collectors/dong-anh/samples",
        json={"batch_id": "b", "samples": [{"measurement": "x", "fields": {}, "time_ns": -1}]},
        headers=auth(token),
    )
    assert bad.status_code == 422 and "time_ns" in bad.text


def lines_a_restart_would_replay(spool_dir: Path, copy: Path) -> list[str]:
    """What the sink's spool holds on disk right now, read as a restarted service would (from a
    copy, as if the process died this instant, so that reading does not touch the live spool)."""
    shutil.copytree(spool_dir, copy)
    spool, lines = Spool(copy), []
    while (record := spool.peek()) is not None:
        lines += spooled_body(record.payload).decode().split("\n")
        spool.ack(record)
    spool.close()
    return lines


def test_a_batch_is_durable_in_the_sink_before_it_is_acknowledged(
    admin: TestClient,
    services: Services,
    make_token: TokenFactory,
    inventory: dict[str, int],
    tmp_path: Path,
) -> None:
    # No InfluxDB configured: durable means in the sink's on-disk spool. The collector drops a
    # batch once answered and its replay is answered "duplicate", so a batch still buffered in
    # memory when the service dies would be lost for good.
    sink = services.extras["influx_sink"]
    assert isinstance(sink, SpoolingInfluxSink)
    token = make_token(Role.collector, "c1")
    register(admin, token, "dong-anh", "Huyện Đông Anh")
    batch = {
        "batch_id": uuid.uuid4().hex,
        "samples": [
            {
                "measurement": "interface",
                "tags": {"device": "sw-da-01", "ifName": f"Gi0/{n}"},
                "fields": {"ifHCInOctets": 1000 + n},
                "time_ns": 1_700_000_000_000_000_000 + n,
            }
            for n in range(3)
        ],
    }
    answer = admin.post("/api/v1/collectors/dong-anh/samples", json=batch, headers=auth(token))
    assert answer.json() == {"accepted": True, "duplicate": False}

    on_disk = lines_a_restart_would_replay(sink.spool.directory, tmp_path / "after-crash")
    assert [line for line in on_disk if line.startswith("interface,")] == [
        f"interface,device=sw-da-01,ifName=Gi0/{n} ifHCInOctets={1000 + n}i {1_700_000_000_000_000_000 + n}"
        for n in range(3)
    ]
    # The replay is still answered "duplicate" and counted once.
    again = admin.post("/api/v1/collectors/dong-anh/samples", json=batch, headers=auth(token))
    assert again.json() == {"accepted": False, "duplicate": True}
    assert [c["batches_received"] for c in admin.get("/api/v1/collectors").json()] == [1]


async def test_a_silent_collector_raises_an_alert_that_its_next_heartbeat_resolves(
    admin: TestClient, services: Services, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    received = Received()
    services.pipeline.add_event_consumer(received)
    token = make_token(Role.collector, "c1")
    register(admin, token, "dong-anh", "Huyện Đông Anh", targets=2, lag_s=1.5, spool_batches=3)
    # Wired as the service wires it: on PostgreSQL the watch is a cluster job, and the heartbeat
    # says a return itself only on the instance that runs it.
    watch = CollectorWatch(
        services.db,
        services.pipeline,
        CollectorWatchConfig(silent_after=60, check_interval=3600),
        services.singletons,
    )
    assert await watch.check_if_ours()  # a round that finds nothing silent, and the job is ours
    assert received.events == []
    with services.db.session() as session:
        session.execute(update(RemoteCollector).values(last_seen=datetime.now(UTC) - timedelta(minutes=5)))
    assert await watch.check() == 1
    assert await watch.check() == 0  # announced once
    health = admin.get("/api/v1/collectors").json()[0]
    assert health["silent"] is True and (health["targets"], health["lag_s"], health["spool_batches"]) == (
        2,
        1.5,
        3,
    )

    alerts = admin.get("/api/v1/alerts").json()["results"]
    summary = next(e.message for e in received.events if e.name == "silent")
    assert summary.startswith("remote collector dong-anh silent since")
    assert [
        (a["rule_name"], a["state"], a["summary"]) for a in alerts if a["rule_name"] == "collector-silent"
    ] == [("collector-silent", "firing", summary)]
    register(admin, token, "dong-anh", None)
    assert [e.name for e in received.events] == ["silent", "back"]
    alerts = admin.get("/api/v1/alerts").json()["results"]
    assert [a["state"] for a in alerts if a["rule_name"] == "collector-silent"] == ["resolved"]
    with services.db.session() as session:
        assert session.scalar(select(RemoteCollector.silent)) is False


async def test_a_collector_standing_by_takes_the_site_over_when_its_collector_goes_silent(
    admin: TestClient, services: Services, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    received = Received()
    services.pipeline.add_event_consumer(received)
    lease = services.settings.collector.site_lease
    first, second = make_token(Role.collector, "c1"), make_token(Role.collector, "c2")
    site = "Huyện Đông Anh"
    serving = register(admin, first, "da-1", site).json()
    assert (serving["role"], serving["standbys"], serving["site_lease_s"]) == ("active", 0, lease)

    refused = register(admin, second, "da-2", site)
    assert refused.status_code == 409 and "da-1" in refused.text and "--standby" in refused.text
    waiting = register(admin, second, "da-2", site, standby=True)
    assert waiting.status_code == 200, waiting.text
    described = waiting.json()
    assert (described["role"], described["standby_for"], described["site"]) == ("standby", site, None)
    assert register(admin, first, "da-1", site).json()["standbys"] == 1  # the site's collector knows
    assert target_names(admin, second, "da-2") == []  # standing by: polls nothing
    assert target_names(admin, first, "da-1") == ["sw-da-01", "sw-da-02"]

    # Heard from within the lease, the site's collector keeps its site.
    with services.db.session() as session:
        session.execute(
            update(RemoteCollector)
            .where(RemoteCollector.name == "da-1")
            .values(last_seen=datetime.now(UTC) - timedelta(seconds=lease - 5))
        )
    assert register(admin, second, "da-2", site, standby=True).json()["role"] == "standby"

    # Silent for longer: the one standing by takes the site over, once, and says so.
    with services.db.session() as session:
        session.execute(
            update(RemoteCollector)
            .where(RemoteCollector.name == "da-1")
            .values(last_seen=datetime.now(UTC) - timedelta(seconds=lease + 1))
        )
    taken = register(admin, second, "da-2", site, standby=True).json()
    # The silent one stands by for its old site now, but is not counted until it is heard again.
    assert (taken["role"], taken["site"], taken["standbys"]) == ("active", site, 0)
    assert target_names(admin, second, "da-2") == ["sw-da-01", "sw-da-02"]
    assert target_names(admin, first, "da-1") == []
    assert [t.name for t in load_targets(services.db, services.secret_box)] == ["sw-dc-01"]
    [takeover] = [e for e in received.events if e.name == "takeover"]
    assert takeover.labels == {"collector": "da-2", "site": site, "replaced": "da-1"}
    alerts = admin.get("/api/v1/alerts").json()["results"]
    assert [a["state"] for a in alerts if a["rule_name"] == "collector-site-taken-over"] == ["firing"]
    assert register(admin, second, "da-2", site, standby=True).json()["role"] == "active"
    assert len([e for e in received.events if e.name == "takeover"]) == 1

    # The old collector back: its site is served; it polls nothing and stands by (if it may).
    back = register(admin, first, "da-1", site)
    assert back.status_code == 409 and "da-2" in back.text
    assert register(admin, first, "da-1", site, standby=True).json()["role"] == "standby"
    assert register(admin, second, "da-2", site, standby=True).json()["standbys"] == 1
    collectors = admin.get("/api/v1/collectors").json()
    listed = {c["name"]: (c["role"], c["site"], c["standby_for"]) for c in collectors}
    assert listed == {"da-1": ("standby", None, site), "da-2": ("active", site, None)}
    # The administration page says who serves the site and who stands by.
    signed_in = admin.post("/login", data={"token": make_token(Role.admin, "web"), "next": "/"})
    assert signed_in.status_code == 200, signed_in.text
    page = admin.get("/admin").text
    assert "1 bộ dự phòng" in page and "Dự phòng</span> Huyện Đông Anh" in page

    # Bad input: standing by for no site, or for another site than the one it is bound to.
    no_site = register(admin, second, "da-3", None, standby=True)
    assert no_site.status_code == 422 and "standby" in no_site.text
    elsewhere = register(admin, first, "da-1", "Trung tâm dữ liệu tỉnh", standby=True)
    assert elsewhere.status_code == 409 and "another site" in elsewhere.text


def test_agency_scope_bounds_what_collectors_claim_receive_and_who_moves_devices(
    admin: TestClient, make_token: TokenFactory, inventory: dict[str, int]
) -> None:
    """Decrypted credentials go to a collector only for devices of its token's agencies; a
    collector cannot move itself to another site; an agency's operator cannot move others' devices."""
    ours = created(admin.post("/api/v1/agencies", json={"name": "UBND huyện Đông Anh", "kind": "district"}))
    theirs = created(admin.post("/api/v1/agencies", json={"name": "Sở Tài chính", "kind": "department"}))
    admin.patch(f"/api/v1/sites/{inventory['Huyện Đông Anh']}", json={"agency_id": ours["id"]})
    admin.patch(f"/api/v1/devices/{inventory['sw-da-01']}", json={"owner_agency_id": ours["id"]})
    admin.patch(f"/api/v1/devices/{inventory['sw-da-02']}", json={"owner_agency_id": theirs["id"]})
    admin.patch(f"/api/v1/devices/{inventory['sw-dc-01']}", json={"owner_agency_id": theirs["id"]})

    scoped = make_token(Role.collector, "collector-da", agency_id=ours["id"])
    refused_site = register(admin, scoped, "dong-anh", "Trung tâm dữ liệu tỉnh")
    assert refused_site.status_code == 403 and refused_site.json()["field"] == "site"
    assert register(admin, scoped, "dong-anh", "Huyện Đông Anh").status_code == 200
    assert target_names(admin, scoped, "dong-anh") == ["sw-da-01"], "sw-da-02 belongs to another agency"
    moved = register(admin, scoped, "dong-anh", "Trung tâm dữ liệu tỉnh")
    assert moved.status_code in (403, 409) and moved.json()["field"] == "site"

    operator = auth(make_token(Role.operator, "ops-da", agency_id=ours["id"]))
    other = admin.put(
        f"/api/v1/devices/{inventory['sw-dc-01']}/collector", json={"collector": "dong-anh"}, headers=operator
    )
    assert other.status_code == 404, "another agency's device is not there for this token"
    assert (
        admin.delete(f"/api/v1/devices/{inventory['sw-dc-01']}/collector", headers=operator).status_code
        == 404
    )
    mine = admin.put(
        f"/api/v1/devices/{inventory['sw-da-01']}/collector", json={"collector": None}, headers=operator
    )
    assert mine.status_code == 200
