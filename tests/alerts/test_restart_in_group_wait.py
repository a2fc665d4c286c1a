"""A notification decided before a restart is sent after it: a real `eams serve` is stopped (kill -9,
then a clean SIGTERM) while a new alert waits out its `group_wait`, started again on the same
database, and a real SMTP receiver (aiosmtpd, STARTTLS + AUTH) counts the e-mails that arrive.

Nothing here is timed: the test waits (bounded) for the mail to come, and then checks that exactly
one came for the alert, after the restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.receivers import SmtpServer
from tests.support.peers import free_port, running, tcp_open, wait_until
from tests.support.tls import self_signed_certificate

EAMS = str(Path(sys.executable).with_name("eams"))
GROUP_WAIT_S = 8  # long enough to stop the service inside it, short enough to wait out


@dataclass
class Service:
    env: dict[str, str]
    cwd: Path
    port: int
    token: str = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, headers={"Authorization": f"Bearer {self.token}"})


@contextmanager
def serving(service: Service, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with running(
        [EAMS, "serve", "--port", str(service.port)],
        ready=lambda: tcp_open("127.0.0.1", service.port) and _healthy(service.base),
        what="eams serve",
        log_path=log,
        env=service.env,
        cwd=service.cwd,
        timeout=90,
    ) as process:
        yield process


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpServer(cert, key)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def service(tmp_path: Path) -> Service:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    env = {
        **clean,
        "EAMS_DATA_DIR": str(tmp_path / "var"),
        "EAMS_SNMP_POLLING": "off",
        "COLUMNS": "200",
    }
    # No EAMS_* from outside: both runs use the embedded SQLite file under EAMS_DATA_DIR (the
    # default set-up), also when the suite runs on PostgreSQL.
    return Service(env, tmp_path, free_port())


def _prepare(service: Service, smtp: SmtpServer) -> int:
    """Token, a device, and e-mail routing with the group wait; returns the device id."""
    created = subprocess.run(
        [EAMS, "token", "create", "--role", "admin", "--name", "restart-tests"],
        env=service.env, cwd=service.cwd, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    service.token = created.stdout.strip().splitlines()[-1]
    with service.client() as http:
        device = http.post("/api/v1/devices", json={"name": "fw-dmz-01", "role": "firewall"})
        assert device.status_code == 201, device.text
        routing = http.put(
            "/api/v1/alert-routing",
            json={
                "receivers": [{"name": "noc-mail", "email": smtp.config()}],
                "route": {"receiver": "noc-mail", "group_wait": f"{GROUP_WAIT_S}s"},
            },
        )
        assert routing.status_code == 200, routing.text
        return int(device.json()["id"])


def _fire(service: Service, device_id: int) -> None:
    """An SNMP authentication-failure event: the shipped rule fires at once (no pending time)."""
    with service.client() as http:
        posted = http.post(
            "/api/v1/events",
            json={"kind": "snmp_trap", "name": "authenticationFailure", "device_id": device_id},
        )
        assert posted.status_code == 202, posted.text

        def firing() -> bool:
            listed = http.get("/api/v1/alerts", params={"state": "firing"}).json()["results"]
            return any(a["rule_name"] == "snmp-trap-auth-failure" for a in listed)

        wait_until(firing, 60, "the alert recorded as firing")


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_an_alert_firing_when_the_service_stops_inside_group_wait_is_mailed_after_the_restart(
    service: Service, smtp: SmtpServer, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    with serving(service, tmp_path / "serve-1.log") as first:
        device_id = _prepare(service, smtp)
        _fire(service, device_id)
        assert about_the_trap(smtp) == [], "still inside group_wait: nothing sent yet"
        os.killpg(first.pid, stop_signal)
        first.wait(60)
    assert about_the_trap(smtp) == [], "the service stopped before the group wait ended"

    with serving(service, tmp_path / "serve-2.log"):
        wait_until(lambda: len(about_the_trap(smtp)) >= 1, 90, "the FIRING e-mail after the restart")
        [mail] = about_the_trap(smtp)
        assert "[FIRING:1] snmp-trap-auth-failure fw-dmz-01" in mail.message["Subject"]
        with service.client() as http:  # a later pass of the outbox does not send it again
            listed = http.get("/api/v1/alerts", params={"state": "firing"}).json()["results"]
            assert [a["rule_name"] for a in listed].count("snmp-trap-auth-failure") == 1
    assert len(about_the_trap(smtp)) == 1


def about_the_trap(smtp: SmtpServer) -> list[Any]:
    """The mails about this test's alert. The service may mail about itself too (on a loaded
    machine its event-loop-lagging alert fires and goes to the same receiver): not counted."""
    return [m for m in smtp.received if "snmp-trap-auth-failure" in str(m.message["Subject"])]
