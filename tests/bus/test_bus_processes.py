"""Processes, as deployed: `eams serve` consuming the bus and writing VictoriaMetrics, `eams collect
--bus` polling a real snmpd and publishing to a test-started nats-server. The bus is killed for a
while and restarted: every poll made meanwhile reaches VictoriaMetrics, each once (VictoriaMetrics
runs without de-duplication, so a point written twice would show)."""

from __future__ import annotations

import json
import time
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
    collector_health,
    eams,
    start_collector,
    terminate,
)
from tests.support.database import scratch_database_url
from tests.support.nats import NatsServer
from tests.support.peers import stop, wait_until
from tests.support.snmp_agents import Agent
from tests.support.tsdb import VictoriaMetrics

pytestmark = [
    pytest.mark.peer("nats-server"),
    pytest.mark.peer("snmpd"),
    pytest.mark.peer("victoria-metrics"),
]


def bus_env(nats: NatsServer) -> dict[str, str]:
    prefix = nats.stream.lower()
    return {"EAMS_BUS_STREAM": nats.stream, "EAMS_BUS_SUBJECT_PREFIX": prefix, "EAMS_BUS_CONSUMER": prefix}


def reachable_times_ms(vm: VictoriaMetrics) -> list[int]:
    series = vm.export('{__name__="collector_reachable",device="sw-da-01"}')
    return sorted(t for s in series for t in s["timestamps"])


def bus_stats(stats_path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(stats_path.read_text()).get("bus", {}))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def test_a_collector_on_the_bus_loses_nothing_while_the_bus_is_down(
    tmp_path: Path, nats: NatsServer, snmpd: Agent
) -> None:
    if not nats.owned:
        pytest.skip("the shared NATS server cannot be killed; install nats-server to run this test")
    vm = VictoriaMetrics(tmp_path / "vm", dedup=False)
    vm.start()
    try:
        with scratch_database_url(tmp_path) as database_url:
            service = Service(tmp_path, database_url)
            service.env.update(
                EAMS_BUS_ENABLED="true", EAMS_BUS_URL=nats.url, EAMS_INFLUX_URL=vm.url, **bus_env(nats)
            )
            collector_env = clean_env(
                EAMS_DATA_DIR=str(tmp_path / "collector"), EAMS_BUS_PUBLISH_TIMEOUT_S="1", **bus_env(nats)
            )
            stats_path = tmp_path / "collector" / "collector-stats.json"
            with service.running():
                admin_token = service.token("admin", "admin")
                collector_token = service.token("collector", "dong-anh")
                admin = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {admin_token}"})
                build_inventory(admin, snmpd)

                base = [EAMS, "collect", "--server", service.url, "--token", collector_token, "--site", SITE]
                bad = eams(*base[1:], "--bus", "http://127.0.0.1:4222", env=collector_env)
                assert bad.returncode == 2 and "nats://host:port" in bad.stderr
                assert "Traceback" not in bad.stderr

                argv = [*base, "--name", "dong-anh", "--refresh", "1", "--heartbeat", "0.5"]
                argv += ["--interval", "0.5", "--bus", nats.url]
                log_path = tmp_path / "collect.log"
                collector = start_collector(argv, collector_env, log_path)
                try:
                    wait_until(lambda: len(reachable_times_ms(vm)) >= 3, 60, "polls through the bus")

                    nats.kill()
                    down_from_ms = time.time_ns() // 1_000_000
                    wait_until(
                        lambda: (
                            (b := bus_stats(stats_path)).get("pending_batches", 0) >= 4 and b["retries"] > 0
                        ),
                        30,
                        "spooling, and publishes failing",
                    )
                    down_until_ms = time.time_ns() // 1_000_000
                    # The service (up) hears of the backlog through the heartbeat.
                    wait_until(lambda: collector_health(admin)["spool_batches"] >= 4, 30, "backlog reported")
                    assert collector.poll() is None, log_path.read_text(errors="replace")[-3000:]
                    nats.start()

                    wait_until(lambda: bus_stats(stats_path).get("pending_batches", 1) == 0, 60, "the drain")
                    wait_until(
                        lambda: collector_health(admin)["spool_batches"] == 0, 30, "no backlog reported"
                    )
                    terminate(collector, log_path)
                finally:
                    stop(collector)
                sent = bus_stats(stats_path)
                assert sent["pending_batches"] == 0 and sent["retries"] > 0 and sent["max_buffered"] >= 4
                assert sent["published"] + sent["duplicates"] == sent["batches"]
                # The service wrote the last batches before it stops; give VictoriaMetrics the time.
                wait_until(lambda: max(reachable_times_ms(vm)) >= down_until_ms, 30, "the replay stored")
            times = reachable_times_ms(vm)
            assert len(times) == len(set(times))  # each poll once
            assert any(down_from_ms < t < down_until_ms for t in times), "polls made while the bus was down"
    finally:
        vm.stop()


def test_facts_a_collector_reads_at_its_site_reach_the_review_of_the_service(
    tmp_path: Path, nats: NatsServer
) -> None:
    """`eams collect --bus --facts-every 1` reads a Cisco C3560 (snmpsim recording: ENTITY-MIB
    chassis, CDP) that the inventory knows only by name and address; `eams serve` stages its serial,
    model and firmware as facts once, however many rounds the collector reads."""
    from tests.discovery.conftest import trimmed_recording
    from tests.support.snmp_agents import snmpsim_agent

    community = "cisco/c3560"
    folder = trimmed_recording(community)
    with (
        snmpsim_agent(tmp_path / "snmpsim", [community], data=folder) as cisco,
        scratch_database_url(tmp_path) as database_url,
    ):
        service = Service(tmp_path, database_url)
        service.env.update(EAMS_BUS_ENABLED="true", EAMS_BUS_URL=nats.url, **bus_env(nats))
        collector_env = clean_env(EAMS_DATA_DIR=str(tmp_path / "collector"), **bus_env(nats))
        with service.running():
            admin_token = service.token("admin", "admin")
            collector_token = service.token("collector", "dong-anh")
            admin = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {admin_token}"})
            site = admin.post("/api/v1/sites", json={"name": SITE, "kind": "server_room"}).json()
            credentials = admin.post(
                "/api/v1/credentials",
                json={"name": "c3560", "kind": "snmp_v2c", "community": community, "port": cisco.port},
            ).json()
            device = admin.post(
                "/api/v1/devices",
                json={
                    "name": "sw-da-01", "role": "switch", "site_id": site["id"],
                    "management_ip": cisco.host, "credentials_id": credentials["id"],
                },
            ).json()  # fmt: skip

            def staged() -> list[dict[str, Any]]:
                answer = admin.get("/api/v1/discovered-facts", params={"device_id": device["id"]})
                return list(answer.json()["results"])

            argv = [EAMS, "collect", "--server", service.url, "--token", collector_token, "--site", SITE]
            argv += ["--name", "dong-anh", "--refresh", "1", "--heartbeat", "0.5", "--interval", "5"]
            argv += ["--bus", nats.url, "--facts-every", "1"]
            log_path = tmp_path / "collect.log"
            collector = start_collector(argv, collector_env, log_path)
            try:
                wait_until(lambda: len(staged()) >= 3, 90, "the device's facts staged")
                wait_until(lambda: min(f["times_seen"] for f in staged()) >= 3, 90, "three more rounds")
                terminate(collector, log_path)
            finally:
                stop(collector)
            facts = staged()
            assert sorted(f["field"] for f in facts) == ["firmware_version", "model", "serial"]
            assert {(f["kind"], f["source"], f["state"]) for f in facts} == {
                ("changed_field", "snmp", "pending")
            }
            assert bus_stats(tmp_path / "collector" / "collector-stats.json")["facts"] >= 3
