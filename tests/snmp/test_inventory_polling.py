"""From the inventory to the API: targets built from devices and credentials, polled through
the service's component, the status stored and served at /api/v1/devices/{id}/status."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from collectors.samples import Sample
from collectors.snmp.config import SnmpConfig
from collectors.snmp.engine import SnmpVersion
from collectors.snmp.targets import load_targets
from eams.api.app import create_app
from eams.components.snmp import SnmpPollingComponent, snmp_polling_component
from eams.services import Services
from tests.support.snmp_agents import Agent


class Collected:
    def __init__(self) -> None:
        self.samples: list[Sample] = []

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)


def created(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == 201, body  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


@pytest.fixture
def inventory(admin: TestClient, snmpd: Agent) -> dict[str, int]:
    agency = created(
        admin.post("/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "code": "SYT"})
    )
    site = created(
        admin.post("/api/v1/sites", json={"name": "Trung tâm dữ liệu tỉnh", "kind": "data_center"})
    )
    v3 = created(
        admin.post(
            "/api/v1/credentials",
            json={
                "name": "lab-v3",
                "kind": "snmp_v3",
                "username": "labv3",
                "auth_protocol": "SHA",
                "auth_key": "authpass123",
                "priv_protocol": "AES",
                "priv_key": "privpass123",
                "port": snmpd.port,
                "timeout_s": 2,
                "retries": 1,
            },
        )
    )
    ssh = created(
        admin.post(
            "/api/v1/credentials", json={"name": "ssh", "kind": "ssh", "username": "u", "password": "p"}
        )
    )
    ids: dict[str, int] = {}
    for name, extra in {
        "srv-01": {"management_ip": "127.0.0.1", "credentials_id": v3["id"]},
        "srv-retired": {"management_ip": "127.0.0.1", "credentials_id": v3["id"], "status": "retired"},
        "srv-no-address": {"credentials_id": v3["id"]},
        "srv-ssh-only": {"management_ip": "127.0.0.1", "credentials_id": ssh["id"]},
        "srv-no-credentials": {"management_ip": "127.0.0.1"},
    }.items():
        device = {
            "name": name,
            "role": "server",
            "site_id": site["id"],
            "owner_agency_id": agency["id"],
            **extra,
        }
        ids[name] = int(created(admin.post("/api/v1/devices", json=device))["id"])  # type: ignore[arg-type]
    return ids


async def test_active_snmp_devices_are_polled_and_their_status_is_served(
    admin: TestClient, services: Services, snmpd: Agent, inventory: dict[str, int]
) -> None:
    targets = load_targets(services.db, services.secret_box)
    assert [t.name for t in targets] == ["srv-01"]
    target = targets[0]
    assert target.device_id == inventory["srv-01"]
    assert target.tags == {
        "device": "srv-01",
        "role": "server",
        "site": "Trung tâm dữ liệu tỉnh",
        "agency": "Sở Y tế",
    }
    assert (target.endpoint.host, target.endpoint.port) == ("127.0.0.1", snmpd.port)
    assert target.credentials.version is SnmpVersion.v3
    assert (target.credentials.auth_key, target.credentials.priv_key) == ("authpass123", "privpass123")

    collected = Collected()
    services.pipeline.add_sample_consumer(collected)
    component = SnmpPollingComponent(services)
    component.scheduler.sync(targets)
    try:
        await component.scheduler.poll_all_once()
    finally:
        await component.stop()

    interfaces = [s for s in collected.samples if s.measurement == "interface"]
    assert interfaces and all(s.device_id == inventory["srv-01"] for s in interfaces)
    assert {"device", "role", "site", "agency", "ifIndex", "ifName"} <= set(interfaces[0].tags)
    assert interfaces[0].tags["agency"] == "Sở Y tế"

    status = admin.get(f"/api/v1/devices/{inventory['srv-01']}/status")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["reachable"] is True and body["profile"] == "net-snmp-linux"
    assert body["varbinds"] > 50 and body["errors"] == 0 and body["timeouts"] == 0


def test_status_of_an_unknown_or_never_polled_device_is_a_clear_404(
    admin: TestClient, inventory: dict[str, int]
) -> None:
    missing = admin.get("/api/v1/devices/999999/status")
    assert missing.status_code == 404 and missing.json()["detail"] == "device 999999 does not exist"
    never = admin.get(f"/api/v1/devices/{inventory['srv-retired']}/status")
    assert never.status_code == 404 and "has not been polled yet" in never.json()["detail"]


async def test_the_component_with_no_targets_starts_and_stops_quietly(services: Services) -> None:
    component = SnmpPollingComponent(services)
    await component.start()
    await component.scheduler.refresh()
    jobs = [job.id for job in component.scheduler.scheduler.get_jobs()]
    await component.stop()
    assert jobs == ["refresh-targets"]
    assert component.scheduler.devices == {}


def test_a_token_scoped_to_another_agency_does_not_see_the_status(
    client: TestClient, make_token: object, inventory: dict[str, int]
) -> None:
    other = created(
        client.post(
            "/api/v1/agencies",
            json={"name": "Sở Tài chính", "kind": "department", "code": "STC"},
            headers={"Authorization": f"Bearer {make_token()}"},  # type: ignore[operator]
        )
    )
    scoped = make_token("operator", "scoped", agency_id=other["id"])  # type: ignore[operator]
    response = client.get(
        f"/api/v1/devices/{inventory['srv-01']}/status", headers={"Authorization": f"Bearer {scoped}"}
    )
    assert response.status_code == 404 and "does not exist" in response.json()["detail"]


def test_the_service_runs_the_poller_unless_switched_off(services: Services) -> None:
    services.settings.snmp = SnmpConfig(polling=False)
    assert snmp_polling_component(services) is None
    services.settings.snmp = SnmpConfig(polling=True)
    # With no targets in the inventory the app starts, serves and stops with the poller running.
    with TestClient(create_app(services)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        running = [component.name for component in client.app.state.components.running]  # type: ignore[attr-defined]
    assert "snmp-poller" in running
    assert services.extras["snmp_scheduler"].devices == {}
