"""Configuration backup, facts and neighbours of a simulated Cisco IOS switch (fake-switches over
SSH on loopback), through the API and the CLI as an operator would use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from netmiko import ConnectHandler
from sqlalchemy import select
from typer.testing import CliRunner

from collectors.ssh.collector import SshCollector, Want
from eams.cli.main import app as cli
from eams.services import Services
from inventory.models import Dependency, Device, EdgeState, ObjectChange
from tests.ssh.conftest import Recorder, add_device
from tests.support.switch_sim import fake_switches

pytestmark = pytest.mark.peer("fake-switches")

SECRETS = ("$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "$1$kQ2x$3b9Yh8sJtqjH1dN5aPz0Q/", "Pr1v4teC0mmunity")


@pytest.fixture
def switches(tmp_path: Path, fake_switches_venv: str) -> Iterator[list[dict[str, Any]]]:
    neighbours = [
        {"name": "sw-core-01.tinh.gov.vn", "ip": "127.0.1.2", "local_port": "Gi0/1", "remote_port": "Te1/0/1"}
    ]
    with fake_switches(
        tmp_path, 2, name_prefix="sw-access-", neighbours=neighbours, python=fake_switches_venv
    ) as found:
        yield found


def add_switch(services: Services, switch: dict[str, Any]) -> int:
    return add_device(
        services,
        switch["name"],
        port=switch["port"],
        platform="cisco_ios",
        username="admin",
        password="admin",
        enable_secret="enable",
    )


def configure(switch: dict[str, Any], commands: list[str]) -> None:
    """An operator changes the switch by hand, through its CLI."""
    connection = ConnectHandler(
        device_type="cisco_ios",
        host="127.0.0.1",
        port=switch["port"],
        username="admin",
        password="admin",
        secret="enable",
    )
    try:
        connection.enable()
        # The simulator's config mode has no `end`: leave it with `exit`.
        connection.send_config_set([*commands, "exit"], exit_config_mode=False)
        connection.send_command("exit", expect_string=r"#")
    finally:
        connection.disconnect()


def test_backup_redacts_secrets_ignores_timestamps_and_diffs_a_change(
    services: Services,
    admin: TestClient,
    collector: SshCollector,
    recorder: Recorder,
    switches: list[dict[str, Any]],
) -> None:
    switch = switches[0]
    device_id = add_switch(services, switch)
    url = f"/api/v1/devices/{device_id}"

    first = admin.post(f"{url}/config-backups")
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["changed"]) == (1, True)
    stored = admin.get(f"{url}/config-versions/1").json()
    for secret in SECRETS:
        assert secret not in stored["text"]
    assert "snmp-server community <redacted> RO" in stored["text"]
    assert "enable secret 5 <redacted>" in stored["text"]
    assert stored["redacted_secrets"] == 3
    assert "Last configuration change" not in stored["text"]

    # Only the "! Last configuration change at" stamp differs: no new version.
    again = admin.post(f"{url}/config-backups").json()
    assert (again["version"], again["changed"]) == (1, False)
    assert recorder.events_of("config_changed") == []

    configure(switch, ["interface FastEthernet0/3", "description uplink-to-core"])
    changed = admin.post(f"{url}/config-backups").json()
    assert (changed["version"], changed["changed"]) == (2, True)

    [event] = recorder.events_of("config_changed")
    assert event.device_id == device_id
    assert (event.data["from_version"], event.data["to_version"]) == (1, 2)
    assert "+ description uplink-to-core" in event.data["diff"]
    assert not any(secret in event.data["diff"] for secret in SECRETS)

    diff = admin.get(f"{url}/config-versions/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200
    assert diff.json()["diff"].splitlines()[:2] == [f"--- {switch['name']} v1", f"+++ {switch['name']} v2"]
    assert "+ description uplink-to-core" in diff.json()["diff"]
    listing = admin.get(f"{url}/config-versions").json()
    assert [row["version"] for row in listing["results"]] == [2, 1]
    missing = admin.get(f"{url}/config-versions/diff", params={"from": 1, "to": 9})
    assert missing.status_code == 404 and missing.json()["field"] == "to"


def test_facts_are_parsed_staged_and_accepted_into_the_change_log(
    services: Services, admin: TestClient, collector: SshCollector, switches: list[dict[str, Any]]
) -> None:
    switch = switches[0]
    device_id = add_switch(services, switch)
    core_id = add_device(
        services,
        "sw-core-01",
        port=22,
        platform="cisco_ios",
        username="admin",
        password="x",
        address="127.0.1.2",
    )

    response = admin.post(f"/api/v1/devices/{device_id}/config-backups")
    assert response.status_code == 200, response.text
    assert response.json()["facts"] == {
        "hostname": switch["name"],
        "serial": switch["serial"],
        "model": "WS-C3750G-24TS-S1U",
        "firmware_version": "12.2(58)SE2",
    }

    outputs = {
        row["command"]: row for row in admin.get(f"/api/v1/devices/{device_id}/ssh-outputs").json()["results"]
    }
    version = outputs["show version"]
    assert "Processor board ID " + switch["serial"] in version["raw"]
    assert version["parser"] == "ntc-templates:cisco_ios_show_version.textfsm"
    assert version["parser_version"] and version["parsed"][0]["serial"] == [switch["serial"]]

    facts = admin.get("/api/v1/discovered-facts", params={"device_id": device_id, "state": "pending"}).json()
    by_field = {fact["field"]: fact for fact in facts["results"]}
    assert set(by_field) == {"serial", "model", "firmware_version", "link"}
    serial = by_field["serial"]
    assert (serial["kind"], serial["observed_value"], serial["current_value"], serial["match_reason"]) == (
        "changed_field",
        switch["serial"],
        None,
        "collected",
    )

    accepted = admin.post(f"/api/v1/discovered-facts/{serial['id']}/accept", json={"note": "checked on site"})
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["state"], accepted.json()["reviewer"]) == ("accepted", "token:admin")
    again = admin.post(f"/api/v1/discovered-facts/{serial['id']}/accept")
    assert again.status_code == 409

    model = admin.post(f"/api/v1/discovered-facts/{by_field['model']['id']}/accept")
    assert model.status_code == 200
    link = admin.post(f"/api/v1/discovered-facts/{by_field['link']['id']}/accept")
    assert link.status_code == 200
    with services.db.session() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.serial == switch["serial"]
        change = session.scalars(
            select(ObjectChange)
            .where(ObjectChange.object_type == "device", ObjectChange.object_id == device_id)
            .order_by(ObjectChange.id.desc())
        ).first()
        assert change is not None and change.actor == "token:admin"
        edge = session.scalars(select(Dependency)).one()
        assert (edge.source_id, edge.target_id, edge.kind.value, edge.origin) == (
            device_id,
            core_id,
            "connected_to",
            "cdp",
        )
        assert edge.state is EdgeState.confirmed

    # A second collection stages nothing new: identical facts are not duplicated.
    admin.post(f"/api/v1/devices/{device_id}/config-backups")
    pending = admin.get(
        "/api/v1/discovered-facts", params={"device_id": device_id, "state": "pending"}
    ).json()
    assert {fact["field"] for fact in pending["results"]} == {"firmware_version"}


def test_rejecting_a_proposed_link_rejects_the_edge(
    services: Services, admin: TestClient, collector: SshCollector, switches: list[dict[str, Any]]
) -> None:
    device_id = add_switch(services, switches[1])
    add_device(
        services, "sw-core-01", port=22, platform="cisco_ios", username="a", password="x", address="127.0.1.2"
    )
    admin.post(f"/api/v1/devices/{device_id}/config-backups")
    [link] = admin.get("/api/v1/discovered-facts", params={"kind": "neighbour"}).json()["results"]

    rejected = admin.post(
        f"/api/v1/discovered-facts/{link['id']}/reject", json={"note": "patch lead removed"}
    )

    assert rejected.json()["state"] == "rejected"
    with services.db.session() as session:
        assert session.scalars(select(Dependency)).one().state is EdgeState.rejected


def test_backup_api_names_what_is_missing_or_failing(
    services: Services, admin: TestClient, collector: SshCollector, switches: list[dict[str, Any]]
) -> None:
    bad_password = add_device(
        services,
        "sw-wrong",
        port=switches[0]["port"],
        platform="cisco_ios",
        username="admin",
        password="nope",
    )
    response = admin.post(f"/api/v1/devices/{bad_password}/config-backups")
    assert response.status_code == 502
    assert "auth_failed" in response.json()["detail"]
    assert admin.post("/api/v1/devices/99999/config-backups").status_code == 404


def test_cli_backs_up_several_devices_with_progress(
    services: Services, switches: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [add_switch(services, switch) for switch in switches]
    monkeypatch.setenv("EAMS_DATABASE_URL", services.settings.resolved_database_url)
    monkeypatch.setenv("EAMS_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("EAMS_SECRET_KEY", "test-secret-key")

    result = CliRunner().invoke(cli, ["ssh", "backup", *[str(i) for i in ids]])

    assert result.exit_code == 0, result.output
    assert "2 backed up, 0 failed." in result.output
    for switch in switches:
        assert f"{switch['name']}: version 1 stored" in result.output

    unknown = CliRunner().invoke(cli, ["ssh", "backup", "no-such-switch"])
    assert unknown.exit_code == 2
    assert "there is no device named or numbered 'no-such-switch'" in unknown.output


async def test_collector_runs_switches_concurrently_in_the_pool(
    services: Services, collector: SshCollector, switches: list[dict[str, Any]]
) -> None:
    ids = [add_switch(services, switch) for switch in switches]
    targets, _ = collector.targets(ids)
    outcomes = await collector.run(targets, Want(backup=True))
    assert [(o.ok, o.version) for o in outcomes] == [(True, 1), (True, 1)]
