"""Traps and informs sent by net-snmp's own tools become events with the right device and severity.

Specification of the trap receiver running inside the service (collectors/traps/README.md).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from collectors.samples import Severity
from inventory.models import Role
from tests.conftest import TokenFactory, auth
from tests.support.peers import wait_until
from tests.traps.conftest import (
    COMMUNITY,
    SENDER_ENGINE_ID,
    SENDER_ENGINE_ID_2,
    V3_SHA256_AES256,
    V3_SHA_AES,
    Recorder,
    Sender,
)

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
COLD_START = "1.3.6.1.6.3.1.1.5.1"
WARM_START = "1.3.6.1.6.3.1.1.5.2"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
FG_VPN_TUN_DOWN = "1.3.6.1.4.1.12356.101.2.0.302"
FG_PHASE1_NAME = "1.3.6.1.4.1.12356.101.12.3.4.0"
FG_REMOTE_GW = "1.3.6.1.4.1.12356.101.12.3.3.0"


def v3_options(user: dict[str, str], *, engine_id: str | None, auth: str, priv: str) -> list[str]:
    options = ["-v3", "-u", user["user"], "-l", "authPriv", "-a", auth, "-A", user["auth_key"]]
    options += ["-x", priv, "-X", user["priv_key"]]
    return options + (["-e", engine_id] if engine_id else [])


def seed_device(admin: TestClient, name: str, address: str, role: str = "firewall") -> int:
    response = admin.post("/api/v1/devices", json={"name": name, "role": role, "management_ip": address})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_v1_v2c_and_v3_traps_become_events_with_device_and_severity(
    admin: TestClient, recorder: Recorder, net_snmp: Sender
) -> None:
    firewall = seed_device(admin, "fw-hq-01", "127.0.1.5")
    switch = seed_device(admin, "sw-core-01", "127.0.1.7", role="switch")
    interface = admin.post("/api/v1/interfaces", json={"device_id": switch, "name": "Gi0/3", "if_index": 3})
    assert interface.status_code == 201, interface.text

    # v1 from the loopback, naming its agent address 127.0.1.5 (the firewall) in the PDU.
    v1 = net_snmp(
        "snmptrap", "-v1", "-c", COMMUNITY, "--",
        "1.3.6.1.4.1.12356.101.2", "127.0.1.5", "6", "302", "",
        FG_PHASE1_NAME, "s", "vpn-so-y-te",
    )  # fmt: skip
    # v2c sent from 127.0.1.7 (the switch): linkDown for ifIndex 3.
    v2c = net_snmp(
        "snmptrap", "-v2c", "-c", COMMUNITY, "--clientaddr=127.0.1.7", "--",
        "", LINK_DOWN,
        "1.3.6.1.2.1.2.2.1.1.3", "i", "3",
        "1.3.6.1.2.1.2.2.1.7.3", "i", "1",
        "1.3.6.1.2.1.2.2.1.8.3", "i", "2",
    )  # fmt: skip
    # v3 authPriv from two users with different protocols, both from the switch.
    v3 = net_snmp(
        "snmptrap", *v3_options(V3_SHA_AES, engine_id=SENDER_ENGINE_ID, auth="SHA", priv="AES"),
        "--clientaddr=127.0.1.7", "--", "", COLD_START,
    )  # fmt: skip
    v3_sha2 = net_snmp(
        "snmptrap",
        *v3_options(V3_SHA256_AES256, engine_id=SENDER_ENGINE_ID_2, auth="SHA-256", priv="AES-256"),
        "--clientaddr=127.0.1.7", "--", "", WARM_START,
    )  # fmt: skip
    for sent in (v1, v2c, v3, v3_sha2):
        assert sent.returncode == 0, sent.stderr

    events = {event.name: event for event in recorder.wait_for_events(4)}
    assert set(events) == {"fortinet.vpn.tunnel_down", "linkDown", "coldStart", "warmStart"}

    tunnel = events["fortinet.vpn.tunnel_down"]
    assert (tunnel.kind, tunnel.device_id, tunnel.severity) == ("snmp_trap", firewall, Severity.critical)
    assert tunnel.data["version"] == "v1" and tunnel.data["agent_address"] == "127.0.1.5"

    link = events["linkDown"]
    assert (link.device_id, link.severity, link.source) == (switch, Severity.warning, "127.0.1.7")
    assert link.labels["ifIndex"] == "3" and link.labels["ifName"] == "Gi0/3"
    assert link.labels["category"] == "operational"
    assert "Gi0/3" in link.message and "sw-core-01" in link.message
    assert [vb["oid"] for vb in link.data["varbinds"]] == [
        "1.3.6.1.2.1.2.2.1.1.3",
        "1.3.6.1.2.1.2.2.1.7.3",
        "1.3.6.1.2.1.2.2.1.8.3",
    ]

    assert (events["coldStart"].device_id, events["coldStart"].severity) == (switch, Severity.warning)
    assert events["coldStart"].data["security_name"] == "trapsha"
    assert events["warmStart"].data["security_name"] == "trapsha256"
    assert events["warmStart"].severity == Severity.info

    # Each trap is also a `snmp_trap` sample with fixed field types.
    samples = {sample.tags["name"]: sample for sample in recorder.samples}
    sample = samples["linkDown"]
    assert sample.measurement == "snmp_trap" and sample.device_id == switch
    assert sample.tags["device"] == "sw-core-01" and sample.tags["version"] == "v2c"
    assert {name: type(value) for name, value in sample.fields.items()} == {
        "count": int,
        "trap_oid": str,
        "message": str,
        "varbinds": int,
    }


def test_fortigate_vpn_tunnel_down_is_a_security_event_naming_the_tunnel(
    admin: TestClient, recorder: Recorder, net_snmp: Sender
) -> None:
    firewall = seed_device(admin, "fgt-dc-01", "127.0.1.21")
    sent = net_snmp(
        "snmptrap", "-v2c", "-c", COMMUNITY, "--clientaddr=127.0.1.21", "--",
        "", FG_VPN_TUN_DOWN,
        "1.3.6.1.4.1.12356.101.12.3.2.0", "a", "127.0.1.21",
        FG_REMOTE_GW, "a", "203.0.113.9",
        FG_PHASE1_NAME, "s", "HQ-to-SoYTe",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr

    (event,) = recorder.wait_for_events(1)
    assert event.name == "fortinet.vpn.tunnel_down"
    assert event.device_id == firewall
    assert event.severity == Severity.critical
    assert event.labels["category"] == "security" and event.labels["vendor"] == "fortinet"
    assert event.labels["tunnel"] == "HQ-to-SoYTe"
    assert event.labels["remote_gateway"] == "203.0.113.9"
    assert event.message == "fgt-dc-01: VPN tunnel HQ-to-SoYTe to 203.0.113.9 is down"

    stored = admin.get("/api/v1/traps", params={"name": "fortinet.vpn.tunnel_down"}).json()
    assert stored["count"] == 1
    assert stored["results"][0]["device_id"] == firewall
    assert stored["results"][0]["labels"]["tunnel"] == "HQ-to-SoYTe"


def test_v2c_and_v3_informs_are_acknowledged(admin: TestClient, recorder: Recorder, net_snmp: Sender) -> None:
    switch = seed_device(admin, "sw-dist-02", "127.0.1.9", role="switch")
    v2c = net_snmp(
        "snmpinform", "-v2c", "-c", COMMUNITY, "-t", "3", "-r", "1", "--clientaddr=127.0.1.9", "--",
        "", LINK_UP, "1.3.6.1.2.1.2.2.1.1.7", "i", "7",
    )  # fmt: skip
    # No -e: snmpinform discovers the receiver's engine id, as real devices do.
    v3 = net_snmp(
        "snmpinform", *v3_options(V3_SHA_AES, engine_id=None, auth="SHA", priv="AES"),
        "-t", "3", "-r", "1", "--clientaddr=127.0.1.9", "--", "", COLD_START,
    )  # fmt: skip
    # snmpinform exits 0 only once the receiver's response arrived.
    assert v2c.returncode == 0, v2c.stderr
    assert v3.returncode == 0, v3.stderr

    events = recorder.wait_for_events(2)
    assert all(event.data["inform"] and event.device_id == switch for event in events)
    kinds = {(event.name, event.data["version"]) for event in events}
    assert kinds == {("linkUp", "v2c"), ("coldStart", "v3")}

    # The same inform with a community the receiver does not trust is never acknowledged.
    refused = net_snmp(
        "snmpinform", "-v2c", "-c", "not-the-community", "-t", "1", "-r", "0", "--", "", LINK_UP
    )
    assert refused.returncode != 0
    assert "Timeout" in refused.stderr


def test_unknown_trap_is_stored_counted_and_listed(
    admin: TestClient, recorder: Recorder, net_snmp: Sender
) -> None:
    ups = seed_device(admin, "ups-a-01", "127.0.1.30", role="ups")
    unknown_oid = "1.3.6.1.4.1.318.0.5"  # an APC trap no shipped mapping covers
    for load in ("91", "97"):
        sent = net_snmp(
            "snmptrap", "-v2c", "-c", COMMUNITY, "--clientaddr=127.0.1.30", "--",
            "", unknown_oid, "1.3.6.1.4.1.318.2.3.3.0", "s", f"load {load}%",
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
    events = recorder.wait_for_events(2)
    assert {(event.name, event.device_id) for event in events} == {("unknown", ups)}

    unknown = admin.get("/api/v1/traps/unknown").json()
    assert unknown["count"] == 1
    row = unknown["results"][0]
    assert (row["trap_oid"], row["source"], row["device_id"]) == (unknown_oid, "127.0.1.30", ups)
    assert row["count"] == 2
    assert row["last_varbinds"][0]["value"] == "load 97%"
    assert row["first_seen"] <= row["last_seen"]

    recent = admin.get("/api/v1/traps", params={"mapped": "false"}).json()
    assert recent["count"] == 2 and {t["name"] for t in recent["results"]} == {"unknown"}
    one = admin.get(f"/api/v1/traps/{recent['results'][0]['id']}")
    assert one.status_code == 200 and one.json()["trap_oid"] == unknown_oid


def test_wrong_community_and_wrong_v3_key_are_dropped_and_counted(
    admin: TestClient, recorder: Recorder, net_snmp: Sender
) -> None:
    bad_community = net_snmp("snmptrap", "-v2c", "-c", "guessed", "--", "", COLD_START)
    bad_key = net_snmp(
        "snmptrap",
        "-v3", "-u", "trapsha", "-l", "authPriv", "-a", "SHA", "-A", "not-the-auth-key",
        "-x", "AES", "-X", V3_SHA_AES["priv_key"], "-e", SENDER_ENGINE_ID,
        "--", "", COLD_START,
    )  # fmt: skip
    unknown_user = net_snmp(
        "snmptrap", *v3_options({**V3_SHA_AES, "user": "intruder"}, engine_id=SENDER_ENGINE_ID,
                                auth="SHA", priv="AES"),
        "--", "", COLD_START,
    )  # fmt: skip
    assert bad_community.returncode == bad_key.returncode == unknown_user.returncode == 0  # traps: no reply

    def dropped() -> dict[str, int]:
        return dict(admin.get("/api/v1/traps/status").json()["dropped"])

    wait_until(
        lambda: (c := dropped())["bad_community"] >= 1 and c["wrong_digest"] >= 1 and c["unknown_user"] >= 1,
        10,
        "drop counters",
    )
    # The receiver is still up: a good trap after the bad ones gets through, and only it.
    good = net_snmp("snmptrap", "-v2c", "-c", COMMUNITY, "--", "", WARM_START)
    assert good.returncode == 0, good.stderr
    (event,) = recorder.wait_for_events(1)
    assert event.name == "warmStart"
    status = admin.get("/api/v1/traps/status").json()
    assert status["running"] is True and status["accepted"] == 1
    assert admin.get("/api/v1/traps").json()["count"] == 1


def test_traps_are_for_roles_that_read_alerts(client: TestClient, make_token: TokenFactory) -> None:
    planner = client.get("/api/v1/traps", headers=auth(make_token(Role.planner, "planner")))
    assert planner.status_code == 403 and "planner" in planner.json()["detail"]
    security = client.get("/api/v1/traps/unknown", headers=auth(make_token(Role.security, "soc")))
    assert security.status_code == 200 and security.json()["count"] == 0
    bad_filter = client.get("/api/v1/traps", params={"colour": "red"}, headers=auth(make_token()))
    assert bad_filter.status_code == 400 and bad_filter.json()["field"] == "colour"
