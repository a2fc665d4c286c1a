"""Done means (issue 5): an `eams collect` process and an `eams serve` process on loopback, the
collector polling a real snmpd and writing to VictoriaMetrics (standing in for InfluxDB). The
service is stopped for a while and restarted on the same port and database: every sample and
event the collector sent is counted once by the service, and metrics kept flowing meanwhile."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.remote.processes import (
    EAMS,
    SITE,
    Service,
    build_inventory,
    clean_env,
    collector_health,
    eams,
    reachable_times_ms,
    start_collector,
    terminate,
)
from tests.support.database import scratch_database_url
from tests.support.peers import stop, wait_until
from tests.support.snmp_agents import Agent
from tests.support.tsdb import victoria_metrics


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with scratch_database_url(tmp_path) as url:
        yield Service(tmp_path, url)


def pending_batches(stats_path: Path) -> int:
    """Batches waiting for the service, as the collector's local stats file says."""
    try:
        return int(json.loads(stats_path.read_text())["pending_batches"])
    except FileNotFoundError:
        return 0


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
