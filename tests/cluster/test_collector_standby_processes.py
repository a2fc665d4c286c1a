"""Two `eams collect` processes for one site, one standing by (`--standby`), an `eams serve`
process with a short site lease, a real snmpd and VictoriaMetrics (standing in for InfluxDB):

- kill -9 the site's collector: the one standing by takes the site over once the lease has passed
  (the time is printed) and polls the site's device; never both at once.
- the service away while a collector stands by: the site's collector stops polling before the
  standby could take over (a site cut off from the service must not be polled twice when it
  comes back), and once the service answers again exactly one of them polls."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collectors.remote.lease import SHARE
from tests.remote.processes import (
    EAMS,
    SITE,
    Service,
    build_inventory,
    clean_env,
    ok,
    reachable_times_ms,
    start_collector,
)
from tests.support.database import scratch_database_url
from tests.support.peers import stop, wait_until
from tests.support.snmp_agents import Agent, snmpd_agent
from tests.support.tsdb import victoria_metrics

LEASE_S = 4.0
HEARTBEAT_S = 0.5
WINDOW_S = 4.0


# Its own agent, not tests/remote's session one: this file runs on any worker, apart from the
# remote folder's (whose files share a worker), so the suite's longest units run side by side.
@pytest.fixture
def snmpd(tmp_path: Path) -> Iterator[Agent]:
    with snmpd_agent(tmp_path / "snmpd") as agent:
        yield agent


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with scratch_database_url(tmp_path) as url:
        service = Service(tmp_path, url)
        service.env["EAMS_COLLECTOR_SITE_LEASE"] = str(LEASE_S)
        yield service


def collectors(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in ok(http.get("/api/v1/collectors"))}


def role(http: httpx.Client, name: str) -> str | None:
    return collectors(http).get(name, {}).get("role")


def test_a_collector_standing_by_takes_the_site_over_and_a_site_is_never_polled_twice(
    tmp_path: Path, service: Service, snmpd: Agent
) -> None:
    with victoria_metrics(tmp_path / "vm") as vm:
        started: list[Any] = []

        def collector(name: str, *extra: str) -> Any:
            env = clean_env(EAMS_DATA_DIR=str(tmp_path / name), EAMS_INFLUX_URL=vm.url)
            argv = [EAMS, "collect", "--server", service.url, "--token", tokens[name], "--site", SITE]
            argv += ["--name", name, "--refresh", "1", "--heartbeat", str(HEARTBEAT_S), "--interval", "0.5"]
            process = start_collector([*argv, *extra], env, tmp_path / f"{name}-{len(started)}.log")
            started.append(process)
            return process

        try:
            with service.running():
                tokens = {name: service.token("collector", name) for name in ("da-a", "da-b")}
                admin_token = service.token("admin", "admin")
                admin = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {admin_token}"})
                build_inventory(admin, snmpd)

                first = collector("da-a")
                wait_until(lambda: role(admin, "da-a") == "active", 20, "da-a serving the site")
                collector("da-b", "--standby")
                wait_until(lambda: role(admin, "da-b") == "standby", 20, "da-b standing by")
                wait_until(lambda: collectors(admin)["da-a"]["standbys"] == 1, 10, "da-a told of da-b")
                assert collectors(admin)["da-b"]["targets"] == 0

                # kill -9 the site's collector: after the lease, the standby takes over.
                os.killpg(first.pid, signal.SIGKILL)
                killed = time.monotonic()
                killed_ms = time.time_ns() // 1_000_000
                wait_until(lambda: role(admin, "da-b") == "active", LEASE_S + 10, "da-b taking the site over")
                took = time.monotonic() - killed
                print(f"standby took the site over {took:.2f} s after kill -9 (lease {LEASE_S} s)")
                assert LEASE_S - 1 <= took <= LEASE_S + 3 * HEARTBEAT_S + 2
                wait_until(lambda: collectors(admin)["da-b"]["targets"] == 1, 10, "da-b polling the device")
                wait_until(
                    lambda: any(t > killed_ms + LEASE_S * 1000 for t in reachable_times_ms(vm)),
                    20,
                    "polls by da-b",
                )
                alerts = ok(admin.get("/api/v1/alerts"))["results"]
                assert [a["rule_name"] for a in alerts if a["state"] == "firing"].count(
                    "collector-site-taken-over"
                ) == 1

                # The one killed comes back standing by; the site's collector is told.
                collector("da-a", "--standby")
                wait_until(lambda: role(admin, "da-a") == "standby", 20, "da-a standing by")
                wait_until(lambda: collectors(admin)["da-b"]["standbys"] == 1, 10, "da-b told of da-a")
                time.sleep(3 * HEARTBEAT_S)  # da-b's own heartbeat answered with the standby
                down_ms = time.time_ns() // 1_000_000

            # The service is away: da-b cannot renew its lease and a collector stands by, so it
            # stops polling after SHARE of the lease; neither polls until the service answers.
            quiet_from_ms = down_ms + int((SHARE * LEASE_S + 2) * 1000)
            time.sleep(SHARE * LEASE_S + 2 + 3)
            back_ms = time.time_ns() // 1_000_000
            polled = reachable_times_ms(vm)
            assert any(down_ms <= t < down_ms + 1000 * SHARE * LEASE_S - 500 for t in polled), (
                "da-b kept polling while its lease held"
            )
            assert [t for t in polled if quiet_from_ms <= t < back_ms] == [], "polled after the lease lapsed"

            with service.running():
                wait_until(lambda: any(t > back_ms for t in reachable_times_ms(vm)), 30, "polls once back")
                resumed_ms = min(t for t in reachable_times_ms(vm) if t > back_ms)
                time.sleep(WINDOW_S + 1)
                roles = sorted(c["role"] for c in collectors(admin).values())
                assert roles == ["active", "standby"]
                active = [c for c in collectors(admin).values() if c["role"] == "active"]
                assert [c["targets"] for c in active] == [1]
                # One poller: at most one point per poll interval (0.5 s); two would make twice as
                # many (a loaded machine makes fewer, never more).
                window = [t for t in reachable_times_ms(vm) if resumed_ms <= t < resumed_ms + WINDOW_S * 1000]
                assert 0 < len(window) <= WINDOW_S / 0.5 + 2, window
        finally:
            for process in started:
                stop(process)
