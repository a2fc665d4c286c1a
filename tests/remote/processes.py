"""`eams serve` and `eams collect` as processes on loopback, for the remote collector tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.peers import free_port, running, tcp_open
from tests.support.snmp_agents import Agent
from tests.support.tsdb import VictoriaMetrics

EAMS = str(Path(sys.executable).with_name("eams"))
SITE = "Huyện Đông Anh"


def clean_env(**settings: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("EAMS_")},
        "COLUMNS": "200",
        **settings,
    }


def eams(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EAMS, *args], env=env, capture_output=True, text=True, timeout=60)


class Service:
    """`eams serve` on a fixed free port and database, startable again after a stop."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = root
        # The service polls with SNMP too: it must keep away from the collector's device.
        self.env = clean_env(EAMS_DATA_DIR=str(root / "service"), EAMS_DATABASE_URL=database_url)
        self.starts = 0
        self.start_timeout = 30.0  # seconds until `eams serve` answers

    @contextmanager
    def running(self) -> Iterator[None]:
        self.starts += 1
        with running(
            [EAMS, "serve", "--port", str(self.port)],
            ready=lambda: tcp_open("127.0.0.1", self.port),
            what="eams serve",
            log_path=self.root / f"serve-{self.starts}.log",
            env=self.env,
            timeout=self.start_timeout,
        ):
            yield

    def token(self, role: str, name: str) -> str:
        created = eams("token", "create", "--role", role, "--name", name, env=self.env)
        assert created.returncode == 0, created.stderr
        return created.stdout.strip().splitlines()[-1]


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def build_inventory(http: httpx.Client, snmpd: Agent) -> int:
    site = ok(http.post("/api/v1/sites", json={"name": SITE, "kind": "server_room"}))
    credentials = ok(
        http.post(
            "/api/v1/credentials",
            json={"name": "v2", "kind": "snmp_v2c", "community": "public", "port": snmpd.port},
        )
    )
    device = {
        "name": "sw-da-01",
        "role": "switch",
        "site_id": site["id"],
        "management_ip": snmpd.host,
        "credentials_id": credentials["id"],
    }
    return int(ok(http.post("/api/v1/devices", json=device))["id"])


def collector_health(http: httpx.Client) -> dict[str, Any]:
    """The collector's health row (an empty dict before it registered)."""
    found = ok(http.get("/api/v1/collectors"))
    assert [c["name"] for c in found] in ([], ["dong-anh"])
    return dict(found[0]) if found else {}


def reachable_times_ms(vm: VictoriaMetrics) -> list[int]:
    series = vm.export('{__name__="collector_reachable",device="sw-da-01"}')
    return sorted(t for s in series for t in s["timestamps"])


def start_collector(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def terminate(collector: subprocess.Popen[bytes], log_path: Path) -> None:
    """SIGTERM, as systemd or docker would: the collector flushes and exits 0."""
    collector.send_signal(signal.SIGTERM)
    code = collector.wait(30)
    assert code == 0, log_path.read_text(errors="replace")[-3000:]
