"""A remote collector receives syslog at its site and forwards it through its durable uplink:
`eams collect` with EAMS_SYSLOG_LISTEN on loopback, util-linux `logger` as the site's device, and
`eams serve` that stores the messages, also those sent while it was down."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.remote.processes import (
    EAMS,
    SITE,
    Service,
    build_inventory,
    clean_env,
    ok,
    start_collector,
    terminate,
)
from tests.support.database import scratch_database_url
from tests.support.peers import require_program, stop, tcp_open, wait_until
from tests.support.snmp_agents import Agent
from tests.syslog.conftest import free_tcp_and_udp_port


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with scratch_database_url(tmp_path) as url:
        found = Service(tmp_path, url)
        found.start_timeout = 120.0  # a start is slow on a busy shared machine: readiness, not speed
        yield found


def stored(admin: httpx.Client, text: str) -> list[dict[str, Any]]:
    return list(ok(admin.get("/api/v1/syslog", params={"q": text}))["results"])


def test_syslog_received_at_a_site_reaches_the_service_through_the_uplink(
    tmp_path: Path, service: Service, snmpd: Agent
) -> None:
    logger = require_program("logger")
    port = free_tcp_and_udp_port()
    env = clean_env(EAMS_DATA_DIR=str(tmp_path / "collector"), EAMS_SYSLOG_LISTEN=f"127.0.0.1:{port}")

    def send(text: str) -> None:
        subprocess.run([logger, "-n", "127.0.0.1", "-P", str(port), "-T", "-t", "sshd", text], check=True)

    with service.running():
        token = service.token("admin", "a")
        # A generous timeout: the machine running the suite may be shared and busy.
        admin = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        device_id = build_inventory(admin, snmpd)  # sw-da-01 at 127.0.0.1, polled by the collector
        argv = [EAMS, "collect", "--server", service.url, "--token", service.token("collector", "dong-anh"),
                "--site", SITE, "--name", "dong-anh", "--refresh", "1", "--heartbeat", "0.5"]  # fmt: skip
        log_path = tmp_path / "collect.log"
        collector = start_collector(argv, env, log_path)
        try:
            wait_until(lambda: bool(ok(admin.get("/api/v1/collectors"))), 20, "the collector registered")
            wait_until(lambda: tcp_open("127.0.0.1", port), 30, "the collector's syslog listener")
            send("Failed password for root from 203.0.113.50 port 51422 ssh2")
            wait_until(
                lambda: bool(stored(admin, "failed password for root")), 30, "the message at the service"
            )
        except BaseException:
            stop(collector)
            raise
        row = stored(admin, "failed password for root")[0]
        assert (row["device_id"], row["event"], row["transport"]) == (device_id, "admin_login_failed", "tcp")

    # The service is down: the site keeps receiving; the uplink spools; nothing is lost.
    try:
        send("Accepted publickey for ops from 10.0.8.4 port 50000 ssh2")
    except BaseException:
        stop(collector)
        raise
    with service.running():
        try:
            wait_until(lambda: bool(stored(admin, "accepted publickey for ops")), 40, "the spooled message")
            terminate(collector, log_path)
        finally:
            stop(collector)
    assert "Traceback" not in log_path.read_text(errors="replace")
