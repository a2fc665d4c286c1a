"""One definition of a device's tags: SNMP targets, SSH targets, trap senders and the alert engine
name the same device, role, site and agency (the SSH collector once tagged the agency's code where
SNMP samples carried its name)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from collectors.senders import SenderDirectory
from collectors.snmp.targets import load_targets
from collectors.ssh.platforms import load_registry
from collectors.ssh.target import load_targets as load_ssh_targets
from eams.alerts.directory import DeviceDirectory
from eams.services import Services


def _id(response: object) -> int:
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    return int(response.json()["id"])  # type: ignore[attr-defined]


def test_every_collector_and_the_alert_engine_tag_a_device_alike(
    admin: TestClient, services: Services
) -> None:
    owner = _id(admin.post("/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "code": "SYT"}))
    operator = _id(
        admin.post("/api/v1/agencies", json={"name": "Trung tâm CNTT", "kind": "unit", "code": "TTCNTT"})
    )
    site = _id(admin.post("/api/v1/sites", json={"name": "Trung tâm dữ liệu tỉnh", "kind": "data_center"}))
    snmp = _id(admin.post("/api/v1/credentials", json={"name": "v2", "kind": "snmp_v2c", "community": "c"}))
    ssh = _id(
        admin.post(
            "/api/v1/credentials", json={"name": "ssh", "kind": "ssh", "username": "u", "password": "p"}
        )
    )
    platform = _id(admin.post("/api/v1/platforms", json={"name": "Linux", "ssh_driver": "linux"}))
    common = {"role": "server", "site_id": site, "management_ip": "127.0.0.9", "platform_id": platform}
    owned = _id(
        admin.post(
            "/api/v1/devices",
            json={
                **common,
                "name": "srv-a",
                "owner_agency_id": owner,
                "operating_agency_id": operator,
                "credentials_id": snmp,
            },
        )
    )
    expected = {"device": "srv-a", "role": "server", "site": "Trung tâm dữ liệu tỉnh", "agency": "Sở Y tế"}

    [snmp_target] = load_targets(services.db, services.secret_box)
    assert snmp_target.tags == expected

    admin.patch(f"/api/v1/devices/{owned}", json={"credentials_id": ssh}).raise_for_status()
    with services.db.session() as session:
        [ssh_target], _ = load_ssh_targets(session, services.secret_box, load_registry(), [owned])
    assert dict(ssh_target.tags) == expected

    senders = SenderDirectory(services.db)
    found = senders.resolve("127.0.0.9")
    assert found is not None and found.tags == expected

    alerts = DeviceDirectory(services.db)
    alerts.refresh()
    info = alerts.get(owned)
    assert info is not None and (info.agency_id, info.agency) == (owner, "Sở Y tế")

    # Without an owner, the operating agency is the one named, everywhere.
    admin.patch(f"/api/v1/devices/{owned}", json={"owner_agency_id": None}).raise_for_status()
    senders.refresh()
    found = senders.resolve("127.0.0.9")
    assert found is not None and found.tags["agency"] == "Trung tâm CNTT"
    alerts.refresh()
    info = alerts.get(owned)
    assert info is not None and (info.agency_id, info.agency) == (operator, "Trung tâm CNTT")
