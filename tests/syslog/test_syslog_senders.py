"""Real senders on loopback: util-linux `logger` (RFC 3164 and 5424, UDP and TCP, octet counting)
and rsyslog forwarding over TLS (RFC 5425), into the intake running inside the service."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eams.services import Services
from inventory.models import Role
from tests.support.peers import free_port, require_program, running, tcp_open
from tests.syslog.conftest import Logger, Recorder, Tls, wait_for


def messages(admin: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/syslog", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def seed_device(admin: TestClient, name: str, address: str | None, **extra: Any) -> int:
    response = admin.post(
        "/api/v1/devices", json={"name": name, "role": "server", "management_ip": address, **extra}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_logger_rfc3164_and_rfc5424_over_udp_tcp_and_octet_counting(
    admin: TestClient, logger: Logger, recorder: Recorder
) -> None:
    server = seed_device(admin, "srv-mail-01", "127.0.0.1")
    logger(
        "-d",
        "--rfc3164",
        "-t",
        "sshd",
        "-p",
        "auth.warning",
        "Failed password for root from 203.0.113.50 port 51422 ssh2",
    )
    logger(
        "-T",
        "--rfc5424",
        "-t",
        "app",
        "--msgid",
        "ID47",
        "--sd-id",
        "origin@32473",
        "--sd-param",
        'ip="10.0.0.9"',
        "tcp lf framed",
    )
    logger("-T", "--octet-count", "--rfc5424", "-t", "app", "octet counted over tcp")
    logger("-d", "--rfc5424", "-t", "app", "Đăng nhập máy chủ thư")
    wait_for(lambda: len(messages(admin)) >= 4, "four messages stored")

    rows = {row["message"]: row for row in messages(admin)}
    udp3164 = rows["Failed password for root from 203.0.113.50 port 51422 ssh2"]
    assert (udp3164["transport"], udp3164["header_format"], udp3164["app_name"]) == ("udp", "rfc3164", "sshd")
    assert (udp3164["facility"], udp3164["severity_name"]) == (4, "warning")
    assert (udp3164["vendor"], udp3164["event"], udp3164["device_id"]) == (
        "linux",
        "admin_login_failed",
        server,
    )
    assert udp3164["resolved_by"] == "management_ip" and udp3164["device_time"] is not None
    assert udp3164["fields"]["srcip"] == "203.0.113.50"
    tcp = rows["tcp lf framed"]
    assert (tcp["transport"], tcp["header_format"], tcp["msgid"]) == ("tcp", "rfc5424", "ID47")
    assert tcp["structured_data"]["origin@32473"] == {"ip": "10.0.0.9"}
    assert rows["octet counted over tcp"]["transport"] == "tcp"
    assert "Đăng nhập máy chủ thư" in rows

    # Free text without diacritics finds the Vietnamese message; filters narrow by event and transport.
    assert [r["message"] for r in messages(admin, q="dang nhap may chu")] == ["Đăng nhập máy chủ thư"]
    assert [r["event"] for r in messages(admin, event="admin_login_failed", transport="udp")] == [
        "admin_login_failed"
    ]
    assert {r["transport"] for r in messages(admin, severity__lte="warning")} == {"udp"}
    assert [e.name for e in recorder.events] == ["linux.admin_login_failed"]
    event = recorder.events[0]
    assert (event.device_id, event.labels["src_ip"], event.labels["user"]) == (server, "203.0.113.50", "root")


def test_counts_not_text_go_to_the_time_series_sink(
    admin: TestClient, logger: Logger, recorder: Recorder
) -> None:
    logger("-d", "--rfc5424", "-t", "app", "counted one")
    logger("-d", "--rfc5424", "-t", "app", "counted two")
    wait_for(lambda: sum(int(s.fields["count"]) for s in recorder.samples if s.measurement == "syslog") >= 2,
             "the syslog counts of both messages")  # fmt: skip
    points = [s for s in recorder.samples if s.measurement == "syslog"]
    assert all(set(p.fields) == {"count", "bytes"} for p in points), "never the message text"
    assert {p.tags["source"] for p in points} == {"127.0.0.1"}, "an unknown sender is counted by address"


def test_an_unknown_sender_is_listed_for_an_operator(admin: TestClient, logger: Logger) -> None:
    logger("-d", "--rfc5424", "-t", "app", "who am I")
    wait_for(
        lambda: admin.get("/api/v1/syslog/unknown-senders").json()["count"] == 1, "the unknown sender listed"
    )
    sender = admin.get("/api/v1/syslog/unknown-senders").json()["results"][0]
    assert (sender["source"], sender["count"], sender["last_message"]) == ("127.0.0.1", 1, "who am I")
    assert messages(admin)[0]["device_id"] is None

    # Once the inventory knows the address, its messages are tied to it and it is no longer unknown
    # (the intake re-reads the inventory at most every 10 s after a miss, so keep sending until then)
    device = seed_device(admin, "srv-new-01", "127.0.0.1")

    def tied() -> bool:
        logger("-d", "--rfc5424", "-t", "app", "now known")
        return messages(admin, limit=1)[0]["device_id"] == device

    wait_for(tied, "a message tied to the new device", timeout=30)
    wait_for(lambda: admin.get("/api/v1/syslog/unknown-senders").json()["count"] == 0, "the sender forgotten")


def test_device_found_by_hostname_when_the_address_is_unknown(admin: TestClient, logger: Logger) -> None:
    device = seed_device(admin, "dc-fw-01", "10.99.0.1")
    logger(
        "-d",
        "--rfc5424",
        "-t",
        "app",
        'logid="0100032001" type="event" subtype="system" devname="dc-fw-01" user="admin" srcip=10.0.8.4',
    )
    wait_for(lambda: len(messages(admin)) == 1, "the message")
    row = messages(admin)[0]
    assert (row["device_id"], row["resolved_by"], row["vendor"]) == (device, "hostname", "fortinet")


def test_a_scoped_token_sees_only_its_agencies_devices(
    admin: TestClient, logger: Logger, make_token: Any
) -> None:
    mine = admin.post(
        "/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "code": "SYT"}
    ).json()["id"]
    other = admin.post(
        "/api/v1/agencies", json={"name": "Sở Tài chính", "kind": "department", "code": "STC"}
    ).json()["id"]
    seed_device(admin, "srv-syt-01", "127.0.0.1", owner_agency_id=other)
    logger("-d", "--rfc5424", "-t", "app", "belongs to another agency")
    wait_for(lambda: len(messages(admin)) == 1, "the message")
    scoped = {"Authorization": f"Bearer {make_token(Role.security, 'soc-syt', agency_id=mine)}"}
    seen = admin.get("/api/v1/syslog", headers=scoped).json()
    assert seen["count"] == 0, "another agency's device's messages are not shown"
    assert admin.get("/api/v1/syslog/unknown-senders", headers=scoped).json()["count"] == 0
    assert admin.get("/api/v1/syslog", params={"agency_id": other}).json()["count"] == 1
    assert admin.get("/api/v1/syslog", params={"agency_id": mine}).json()["count"] == 0
    bad = admin.get("/api/v1/syslog", params={"agency_id": "x"})
    assert bad.status_code == 400 and "agency_id" in bad.text


RSYSLOG_CONF = """
global(workDirectory="{work}" defaultNetstreamDriverCAFile="{ca}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{inbound}")
action(type="omfwd" target="127.0.0.1" port="{tls_port}" protocol="tcp" TCP_Framing="octet-counted"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="localhost" template="RSYSLOG_SyslogProtocol23Format")
"""


def test_rsyslog_forwards_over_tls_to_the_listener(
    admin: TestClient, tls: Tls, tls_port: int, tmp_path: Path, services: Services
) -> None:
    rsyslogd = require_program("rsyslogd")
    logger_bin = require_program("logger")
    inbound = free_port()
    work = tmp_path / "rsyslog"
    work.mkdir()
    conf = work / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(work=work, ca=tls.cert, inbound=inbound, tls_port=tls_port))
    argv = [rsyslogd, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid")]
    with running(argv, ready=lambda: tcp_open("127.0.0.1", inbound), what="rsyslogd", log_path=work / "log"):
        subprocess.run(
            [logger_bin, "-n", "127.0.0.1", "-P", str(inbound), "-T", "-t", "sudo",
             "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"],
            check=True, timeout=20,
        )  # fmt: skip
        wait_for(lambda: len(messages(admin, transport="tls")) == 1, "the message relayed over TLS")
    row = messages(admin, transport="tls")[0]
    assert (row["header_format"], row["app_name"], row["event"]) == ("rfc5424", "sudo", "privilege_used")
    assert row["fields"]["command"] == "/usr/bin/id"
    assert services.extras["syslog"].status()["received"]["tls"] == 1
