"""Done means (issue 5): an `eams collect` process and an `eams serve` process on loopback, the
collector polling a real snmpd and writing to VictoriaMetrics (standing in for InfluxDB). The
service is stopped for a while and restarted on the same port and database: every sample and
event the collector sent is counted once by the service, and metrics kept flowing meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.database import scratch_database_url
from tests.support.peers import free_port, running, stop, tcp_open, wait_until
from tests.support.snmp_agents import Agent
from tests.support.tsdb import VictoriaMetrics, victoria_metrics

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


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with scratch_database_url(tmp_path) as url:
        yield Service(tmp_path, url)


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


def pending_batches(stats_path: Path) -> int:
    """Batches waiting for the service, as the collector's local stats file says."""
    try:
        return int(json.loads(stats_path.read_text())["pending_batches"])
    except FileNotFoundError:
        return 0


def start_collector(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def terminate(collector: subprocess.Popen[bytes], log_path: Path) -> None:
    """SIGTERM, as systemd or docker would: the collector flushes and exits 0."""
    collector.send_signal(signal.SIGTERM)
    code = collector.wait(30)
    assert code == 0, log_path.read_text(errors="replace")[-3000:]


def test_nothing_posted_is_lost_while_the_service_is_down_and_metrics_keep_flowing(
    tmp_path: Path, service: Service, snmpd: Agent
) -> None:
    with victoria_metrics(tmp_path / "vm") as vm:
        collector_env = clean_env(EAMS_DATA_DIR=str(tmp_path / "collector"), EAMS_INFLUX_URL=vm.url)
        stats_path = tmp_path / "collector" / "collector-stats.json"
        with service.running():
            admin_token = service.token("admin", "admin")
            collector_token = service.token("collector", "dong-anh")
            admin = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {admin_token}"})
            device_id = build_inventory(admin, snmpd)

            # Bad input is a sentence and an exit code.
            bad_url = eams("collect", "--server", "ftp://x", "--token", "t", env=collector_env)
            assert bad_url.returncode == 2 and "http:// or https://" in bad_url.stderr
            bad_token = eams("collect", "--server", service.url, "--token", "nope", env=collector_env)
            said = " ".join(bad_token.stderr.split())
            assert bad_token.returncode == 3 and "does not accept the token" in said
            assert "Traceback" not in bad_url.stderr + bad_token.stderr

            argv = [EAMS, "collect", "--server", service.url, "--token", collector_token, "--site", SITE]
            argv += ["--name", "dong-anh", "--refresh", "1", "--heartbeat", "0.5", "--interval", "0.5"]
            log_path = tmp_path / "collect.log"
            collector = start_collector(argv, collector_env, log_path)
            try:
                wait_until(
                    lambda: collector_health(admin).get("samples_received", 0) > 0, 20, "the first samples"
                )
                # A collector token reads nothing but its own API.
                as_collector = {"Authorization": f"Bearer {collector_token}"}
                assert httpx.get(f"{service.url}/api/v1/devices", headers=as_collector).status_code == 403
                assert httpx.get(f"{service.url}/api/v1/collectors", headers=as_collector).status_code == 403
            except BaseException:
                stop(collector)
                raise

        # The service is down: the collector keeps polling, writing to InfluxDB and spooling.
        down_from_ms = time.time_ns() // 1_000_000
        try:
            wait_until(
                lambda: pending_batches(stats_path) >= 3,
                20,
                "batches spooled while the service is down",
            )
            down_until_ms = time.time_ns() // 1_000_000
            assert collector.poll() is None, log_path.read_text(errors="replace")[-3000:]
        except BaseException:
            stop(collector)
            raise
        assert any(down_from_ms < t < down_until_ms for t in reachable_times_ms(vm)), "no metrics while down"

        with service.running():
            try:
                wait_until(
                    lambda: (h := collector_health(admin))["spool_batches"] == 0 and h["lag_s"] < 5,
                    30,
                    "the spool replayed",
                )
                terminate(collector, log_path)
            finally:
                stop(collector)
            sent = json.loads(stats_path.read_text())
            health = collector_health(admin)
            assert sent["pending_batches"] == 0 and sent["rejected_batches"] == 0
            assert sent["samples"] > 0 and sent["events"] == 2  # started, stopped
            assert (health["batches_received"], health["samples_received"], health["events_received"]) == (
                sent["batches"],
                sent["samples"],
                sent["events"],
            )
            assert health["site"] == SITE and health["version"] and health["targets"] == 1
            # The service never polled the collector's device itself.
            status = admin.get(f"/api/v1/devices/{device_id}/status")
            assert status.status_code == 404 and "not been polled" in status.text
            assert sent["influx"]["written_points"] > 0

        # Started while the service is down: it polls the targets cached by its last fetch, and
        # what it cannot deliver stays spooled on disk across its own restart.
        started_ms = time.time_ns() // 1_000_000
        collector = start_collector(argv, collector_env, tmp_path / "collect-2.log")
        try:
            wait_until(
                lambda: any(t > started_ms for t in reachable_times_ms(vm)), 20, "polls from the cache"
            )
            terminate(collector, tmp_path / "collect-2.log")
        finally:
            stop(collector)
        offline = json.loads(stats_path.read_text())
        assert offline["pending_batches"] == offline["batches"] > 0 and offline["delivered_batches"] == 0

        with service.running():
            collector = start_collector(argv, collector_env, tmp_path / "collect-3.log")
            try:
                wait_until(lambda: collector_health(admin)["events_received"] >= 5, 30, "the offline batches")
                terminate(collector, tmp_path / "collect-3.log")
            finally:
                stop(collector)
            last = json.loads(stats_path.read_text())
            assert last["pending_batches"] == 0
            health = collector_health(admin)
            assert health["samples_received"] == sent["samples"] + offline["samples"] + last["samples"]
            assert health["events_received"] == 6  # started and stopped, three times
