"""End to end: a trap sent by net-snmp's `snmptrap` to the service reaches the security team.

Nothing is fed by hand: the real sender, the receiver inside the service, the alert engine with
its shipped rules, the routing tree, and a real HTTP receiver verifying the HMAC signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eams.alerts.notify.webhook import verify
from eams.services import Services
from tests.alerts.receivers import HttpReceiver
from tests.alerts.test_api import routing_for, wait_for
from tests.traps.conftest import COMMUNITY, Sender
from tests.traps.test_trap_receiver import FG_PHASE1_NAME, FG_REMOTE_GW, FG_VPN_TUN_DOWN, seed_device

SOC_SECRET = "soc-shared-secret"  # the secret routing_for() gives the security webhook
FG_VPN_TUN_UP = "1.3.6.1.4.1.12356.101.2.0.301"


@pytest.fixture
def soc_hook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def fortigate_tunnel_trap(net_snmp: Sender, trap_oid: str, source: str, tunnel: str) -> None:
    sent = net_snmp(
        "snmptrap", "-v2c", "-c", COMMUNITY, f"--clientaddr={source}", "--",
        "", trap_oid,
        FG_REMOTE_GW, "a", "203.0.113.9",
        FG_PHASE1_NAME, "s", tunnel,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr


def per_tunnel_routing(hook: HttpReceiver) -> dict[str, Any]:
    """The security team's webhook, one notification group per tunnel (each tunnel is its own case)."""
    routing = routing_for(hook)
    routing["route"]["routes"][0]["group_by"] = ["alertname", "device", "tunnel"]
    # Changes to an already-notified group wait group_interval; a second keeps the test short.
    routing["route"]["routes"][0]["group_interval"] = "1s"
    return routing


def alerts_sent(hook: HttpReceiver) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    for request in hook.requests:
        assert verify(
            SOC_SECRET, request.headers["X-EAMS-Timestamp"], request.body, request.headers["X-EAMS-Signature"]
        ), "every notification to the security team is signed"
        sent.extend(request.json()["alerts"])
    return sent


def test_a_fortigate_vpn_trap_fires_and_resolves_a_per_tunnel_alert_at_the_security_team(
    admin: TestClient, services: Services, net_snmp: Sender, soc_hook: HttpReceiver
) -> None:
    seed_device(admin, "fgt-dc-01", "127.0.1.31")
    assert admin.put("/api/v1/alert-routing", json=per_tunnel_routing(soc_hook)).status_code == 200
    engine = services.extras["alerts"]
    wait_for(lambda: "soc-hook" in engine.channels, "the engine picking up the routing")

    fortigate_tunnel_trap(net_snmp, FG_VPN_TUN_DOWN, "127.0.1.31", "HQ-to-SoYTe")
    fortigate_tunnel_trap(net_snmp, FG_VPN_TUN_DOWN, "127.0.1.31", "HQ-to-SoTC")
    wait_for(lambda: len(alerts_sent(soc_hook)) >= 2, "both tunnel alerts at the security webhook")
    firing = {a["labels"]["tunnel"]: a for a in alerts_sent(soc_hook)}
    assert set(firing) == {"HQ-to-SoYTe", "HQ-to-SoTC"}, "one alert per tunnel, not per device"
    for alert in firing.values():
        assert (alert["rule"], alert["device"], alert["severity"]) == (
            "vpn-tunnel-down",
            "fgt-dc-01",
            "critical",
        )
        assert alert["state"] == "firing"
        assert "203.0.113.9" in alert["summary"], "the message names the remote gateway from the trap"

    listed = admin.get("/api/v1/alerts", params={"rule_name": "vpn-tunnel-down", "state": "firing"}).json()
    assert listed["count"] == 2
    # The generic security-trap rules stay quiet for a trap a specific rule handles.
    assert admin.get("/api/v1/alerts", params={"rule_name": "security-trap-critical"}).json()["count"] == 0

    fortigate_tunnel_trap(net_snmp, FG_VPN_TUN_UP, "127.0.1.31", "HQ-to-SoYTe")
    wait_for(
        lambda: any(a["state"] == "resolved" for a in alerts_sent(soc_hook)),
        "the tunnel-up trap resolving its alert",
    )
    resolved = [a for a in alerts_sent(soc_hook) if a["state"] == "resolved"]
    assert [a["labels"]["tunnel"] for a in resolved] == ["HQ-to-SoYTe"]
    still = admin.get("/api/v1/alerts", params={"rule_name": "vpn-tunnel-down", "state": "firing"}).json()
    assert [a["labels"]["tunnel"] for a in still["results"]] == ["HQ-to-SoTC"]
