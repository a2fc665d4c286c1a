"""End to end: syslog from a firewall reaches the security team through the alert engine with its
shipped rules, the routing tree and a real HTTP receiver; a configuration change asks the SSH
collector for a backup (a real sshd on loopback) and the alert carries the diff."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collectors.ssh.collector import SshCollector
from collectors.ssh.config import SshConfig
from eams.alerts.notify.webhook import verify
from eams.components.ssh import EXTRAS_KEY as SSH_COLLECTOR
from eams.services import Services
from inventory.models import DeviceRole
from tests.alerts.receivers import HttpReceiver
from tests.alerts.test_api import routing_for
from tests.ssh.conftest import SshServer, add_device
from tests.syslog.conftest import Logger, udp_send, wait_for

SOC_SECRET = "soc-shared-secret"  # the secret routing_for() gives the security webhook
FORTIGATE = "127.0.1.31"


def fortigate_login_failed(source_ip: str, user: str = "admin") -> bytes:
    # The FortiOS Log Message Reference's "Admin login failed" line (logid 0100032002), from the device.
    return (
        f'<185>date=2024-05-02 time=11:15:40 devname="dc-fw-01" devid="FG200FT921900001" logid="0100032002" '
        f'type="event" subtype="system" level="alert" vd="root" eventtime=1714648540 '
        f'logdesc="Admin login failed" sn="0" user="{user}" ui="https({source_ip})" method="https" '
        f"srcip={source_ip} dstip=10.0.0.1 "
        f'action="login" status="failed" reason="passwd_invalid" '
        f'msg="Administrator {user} login failed from https({source_ip}) because of invalid password"'
    ).encode()


def fortigate_login_ok(source_ip: str, user: str = "admin") -> bytes:
    return (
        f'<189>date=2024-05-02 time=11:16:00 devname="dc-fw-01" logid="0100032001" type="event" '
        f'subtype="system" level="information" vd="root" logdesc="Admin login successful" user="{user}" '
        f'ui="ssh({source_ip})" '
        f'method="ssh" srcip={source_ip} dstip=10.0.0.1 action="login" status="success" msg="ok"'
    ).encode()


def fortigate_tunnel(action: str, tunnel: str) -> bytes:
    return (
        f'<189>logid="0101037138" type="event" subtype="vpn" level="notice" vd="root" devname="dc-fw-01" '
        f'logdesc="IPsec connection status changed" msg="IPsec connection status change" action="{action}" '
        f'remip=203.0.113.9 vpntunnel="{tunnel}" tunneltype="ipsec"'
    ).encode()


@pytest.fixture
def soc_hook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def alerts_sent(hook: HttpReceiver) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    for request in hook.requests:
        assert verify(
            SOC_SECRET, request.headers["X-EAMS-Timestamp"], request.body, request.headers["X-EAMS-Signature"]
        ), "every notification to the security team is signed"
        sent.extend(request.json()["alerts"])
    return sent


def firewall(admin: TestClient, name: str = "dc-fw-01", address: str = FORTIGATE) -> int:
    agency = admin.post("/api/v1/agencies", json={"name": "Sở Khoa học và Công nghệ", "kind": "department",
                                                  "code": "SKHCN"}).json()["id"]  # fmt: skip
    device = admin.post("/api/v1/devices", json={"name": name, "role": "firewall", "management_ip": address,
                                                 "owner_agency_id": agency})  # fmt: skip
    assert device.status_code == 201, device.text
    return int(device.json()["id"])


def route_to(admin: TestClient, services: Services, hook: HttpReceiver) -> None:
    routing = routing_for(hook)
    routing["route"]["routes"][0]["group_by"] = ["alertname", "device", "src_ip", "tunnel"]
    routing["route"]["routes"][0]["group_interval"] = "1s"
    assert admin.put("/api/v1/alert-routing", json=routing).status_code == 200
    engine = services.extras["alerts"]
    wait_for(lambda: "soc-hook" in engine.channels, "the engine picking up the routing")


def alerts(admin: TestClient, rule: str, **params: Any) -> list[dict[str, Any]]:
    return list(admin.get("/api/v1/alerts", params={"rule_name": rule, **params}).json()["results"])


def test_a_fortigate_admin_login_failed_burst_is_one_security_alert_with_device_agency_and_source(
    admin: TestClient, services: Services, syslog_port: int, soc_hook: HttpReceiver
) -> None:
    device = firewall(admin)
    route_to(admin, services, soc_hook)
    # Four failures from one address are not yet a burst; the fifth is.
    udp_send(syslog_port, [fortigate_login_failed("198.51.100.23")] * 4, source=FORTIGATE)
    udp_send(syslog_port, [fortigate_login_failed("192.0.2.8")] * 2, source=FORTIGATE)
    wait_for(lambda: admin.get("/api/v1/syslog", params={"event": "admin_login_failed"}).json()["count"] == 6,
             "six failures stored")  # fmt: skip
    assert alerts(admin, "syslog-admin-login-failed-burst") == []
    udp_send(syslog_port, [fortigate_login_failed("198.51.100.23")], source=FORTIGATE)
    wait_for(lambda: len(alerts_sent(soc_hook)) >= 1, "the burst alert at the security webhook")

    sent = alerts_sent(soc_hook)
    assert len(sent) == 1
    alert = sent[0]
    assert (alert["rule"], alert["device"], alert["device_id"], alert["category"], alert["severity"]) == (
        "syslog-admin-login-failed-burst", "dc-fw-01", device, "security", "critical",
    )  # fmt: skip
    assert alert["agency"] == "Sở Khoa học và Công nghệ"
    assert alert["labels"]["src_ip"] == "198.51.100.23"
    assert "198.51.100.23" in alert["summary"] and "Sở Khoa học và Công nghệ" in alert["summary_vi"]

    # More failures from the same address keep the one alert; nothing new is sent for them.
    udp_send(syslog_port, [fortigate_login_failed("198.51.100.23")] * 5, source=FORTIGATE)
    failures = {"event": "admin_login_failed"}
    wait_for(lambda: admin.get("/api/v1/syslog", params=failures).json()["count"] == 12, "the later failures")
    firing = alerts(admin, "syslog-admin-login-failed-burst", state="firing")
    assert [a["labels"]["src_ip"] for a in firing] == ["198.51.100.23"]


def test_a_sign_in_from_a_new_address_raises_an_alert_the_first_one_teaches(
    admin: TestClient, services: Services, syslog_port: int
) -> None:
    firewall(admin)
    udp_send(syslog_port, [fortigate_login_ok("10.0.8.4"), fortigate_login_ok("10.0.8.4")], source=FORTIGATE)
    wait_for(
        lambda: admin.get("/api/v1/syslog", params={"event": "admin_login"}).json()["count"] == 2, "logins"
    )
    udp_send(syslog_port, [fortigate_login_ok("203.0.113.77")], source=FORTIGATE)
    wait_for(lambda: len(alerts(admin, "syslog-admin-login-new-address")) == 1, "the new-address alert")
    alert = alerts(admin, "syslog-admin-login-new-address")[0]
    assert (alert["labels"]["user"], alert["labels"]["src_ip"]) == ("admin", "203.0.113.77")
    assert "203.0.113.77" in alert["summary"]


def test_vpn_tunnel_down_is_one_alert_per_tunnel_resolved_by_up(
    admin: TestClient, services: Services, syslog_port: int
) -> None:
    firewall(admin)
    downs = [fortigate_tunnel("tunnel-down", "HQ-to-SoYTe"), fortigate_tunnel("tunnel-down", "HQ-to-SoTC")]
    udp_send(syslog_port, downs, source=FORTIGATE)
    wait_for(lambda: len(alerts(admin, "syslog-vpn-tunnel-down", state="firing")) == 2, "two tunnel alerts")
    udp_send(syslog_port, [fortigate_tunnel("tunnel-up", "HQ-to-SoYTe")], source=FORTIGATE)
    wait_for(lambda: len(alerts(admin, "syslog-vpn-tunnel-down", state="firing")) == 1, "one resolved")
    assert [a["labels"]["tunnel"] for a in alerts(admin, "syslog-vpn-tunnel-down", state="firing")] == [
        "HQ-to-SoTC"
    ]
    assert [a["labels"]["tunnel"] for a in alerts(admin, "syslog-vpn-tunnel-down", state="resolved")] == [
        "HQ-to-SoYTe"
    ]


def test_a_pan_os_config_commit_triggers_a_backup_and_the_alert_carries_the_diff(
    admin: TestClient, services: Services, logger: Logger, tmp_path: Path, login_key: Path,
) -> None:  # fmt: skip
    running_config = tmp_path / "running-config.txt"
    running_config.write_text(
        "set deviceconfig system hostname dc-fw-dmz-01\nset rulebase security rules allow-web\n"
    )
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    template = (Path(__file__).parent / "testdata" / "lab-panos.yaml.in").read_text()
    (platforms / "lab-panos.yaml").write_text(template.replace("{config}", str(running_config)))
    # The service's shared SSH collector, with the stand-in platform beside the shipped ones.
    services.extras[SSH_COLLECTOR] = SshCollector(
        services.collector_context, SshConfig(platforms_dir=platforms)
    )
    server_dir = tmp_path / "sshd"
    server_dir.mkdir()
    server = SshServer(server_dir, login_key)
    with server.serve():
        device = add_device(
            services, "dc-fw-dmz-01", port=server.port, platform="lab-panos", username=server.user,
            private_key=login_key.read_text(), role=DeviceRole.firewall,
        )  # fmt: skip
        first = admin.post(f"/api/v1/devices/{device}/config-backups")
        assert first.status_code == 200, first.text
        running_config.write_text(
            running_config.read_text() + "set rulebase security rules allow-rdp from any to dmz\n"
        )
        # The firewall's CONFIG log of the commit (PAN-OS default format), as it forwards it.
        logger("-d", "--rfc5424", "-t", "-",
               f"1,{time.strftime('%Y/%m/%d %H:%M:%S')},012501009150,CONFIG,0,2561,2024/05/02 11:20:00,"
               "10.0.8.4,,"
               "commit,admin,Web,Succeeded,,7168767370163388448,0x0,0,0,0,0,,dc-fw-dmz-01,0,,0")  # fmt: skip
        wait_for(
            lambda: len(alerts(admin, "syslog-config-changed")) == 1, "the configuration-change alert", 60
        )
    alert = alerts(admin, "syslog-config-changed")[0]
    assert alert["device_id"] == device
    assert "+set rulebase security rules allow-rdp from any to dmz" in alert["summary"], alert["summary"]
    assert "admin ran commit" in alert["summary"]
    versions = admin.get(f"/api/v1/devices/{device}/config-versions").json()
    assert versions["count"] == 2, "the syslog message made the backup that stored version 2"
    assert alerts(admin, "config-changed") == [], "one alert per change: the syslog one, with the diff"
