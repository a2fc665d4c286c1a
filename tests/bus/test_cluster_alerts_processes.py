"""Done means (issue 17, alerts across instances): two `eams serve` processes on one PostgreSQL
database consume a test-started NATS JetStream; two `eams collect --bus` processes poll real
snmpd agents every 2 s; VictoriaMetrics (no de-duplication) is the sink and a webhook receiver on
127.0.0.1 counts the notifications.

One agent is stopped: its device-unreachable alert fires once and is notified once. The instance
leading that device's partition (the first one, which leads them all) is killed with SIGKILL; the
other takes the partitions over (the takeover time is printed); the agent is started again: the
alert resolves, and its RESOLVED is sent once. Every poll is stored in VictoriaMetrics at most
once (a second copy would show as a repeated timestamp); the polls lost with the killed instance's
unflushed sink are printed, not hidden.

PostgreSQL only (EAMS_TEST_DATABASE_URL). The processes run the installed `eams`: from a git
worktree, run with PYTHONPATH=<worktree> so that they run its code."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.alerts.receivers import HttpReceiver
from tests.remote.processes import EAMS, clean_env, ok, start_collector
from tests.support.database import TEST_DATABASE_ENV, backend, scratch_database_url
from tests.support.nats import NatsServer
from tests.support.peers import stop, wait_until
from tests.support.serve import serving
from tests.support.snmp_agents import Agent, snmpd_agent
from tests.support.tsdb import VictoriaMetrics

pytestmark = [
    pytest.mark.peer("nats-server"),
    pytest.mark.peer("snmpd"),
    pytest.mark.peer("victoria-metrics"),
]

PARTITIONS = 4
POLL_S = 2
LEADS_ALL = f"leading bus partitions {list(range(PARTITIONS))}"
SITES = {"sw-da-01": "Huyện Đông Anh", "sw-ss-01": "Huyện Sóc Sơn"}
DOWN = "sw-da-01"  # the device whose agent is stopped
DELIVERS = "this instance now runs the cluster job alerts.delivery"  # the delivery lock taken


def bus_env(nats: NatsServer) -> dict[str, str]:
    prefix = nats.stream.lower()
    return {
        "EAMS_BUS_URL": nats.url, "EAMS_BUS_STREAM": nats.stream, "EAMS_BUS_SUBJECT_PREFIX": prefix,
        "EAMS_BUS_CONSUMER": prefix, "EAMS_BUS_PARTITIONS": str(PARTITIONS),
    }  # fmt: skip


def polls(vm: VictoriaMetrics, device: str) -> list[int]:
    series = vm.export(f'{{__name__="collector_reachable",device="{device}"}}')
    return sorted(t for s in series for t in s["timestamps"])


def unreachable_notices(hook: HttpReceiver) -> Counter[tuple[int, str]]:
    """(alert id, state) of the unreachable alert of DOWN in every notification received."""
    return Counter(
        (alert["alert_id"], alert["state"])
        for payload in hook.payloads()
        for alert in payload["alerts"]
        if alert["rule"] == "device-unreachable" and alert["device"] == DOWN
    )


def build_inventory(admin: httpx.Client, agents: dict[str, Agent]) -> None:
    for device, agent in agents.items():
        site = ok(admin.post("/api/v1/sites", json={"name": SITES[device], "kind": "server_room"}))
        credentials = ok(
            admin.post(
                "/api/v1/credentials",
                json={"name": f"v2-{device}", "kind": "snmp_v2c", "community": "public", "port": agent.port},
            )
        )
        body = {
            "name": device, "role": "switch", "site_id": site["id"], "management_ip": agent.host,
            "credentials_id": credentials["id"],
        }  # fmt: skip
        ok(admin.post("/api/v1/devices", json=body))


def routing(hook: HttpReceiver) -> dict[str, Any]:
    return {
        "receivers": [{"name": "noc-hook", "webhook": {"url": hook.url, "secret": "bí-mật-cụm"}}],
        "route": {
            "receiver": "noc-hook", "group_by": ["alertname", "device"], "group_wait": "0s",
            "group_interval": "0s", "repeat_interval": "4h",
        },
    }  # fmt: skip


def test_an_unreachable_device_fires_and_resolves_once_across_two_instances_and_a_kill(
    tmp_path: Path, nats: NatsServer
) -> None:
    if backend() != "postgresql":
        pytest.skip(f"two service instances need PostgreSQL: set {TEST_DATABASE_ENV}")
    hook = HttpReceiver()
    hook.start()
    vm = VictoriaMetrics(tmp_path / "vm", dedup=False)
    vm.start()
    try:
        with scratch_database_url(tmp_path) as database_url, ExitStack() as stack:
            database = create_engine(database_url)
            stack.callback(database.dispose)

            def database_state() -> str:
                """Shown when a wait fails: the alerts and the outbox as the database has them."""
                with database.connect() as connection:
                    alerts = connection.execute(
                        text("SELECT id, device_id, rule_name, state, notified FROM alert")
                    )
                    outbox = connection.execute(
                        text("SELECT id, status, attempts, last_error FROM alert_outbox")
                    )
                    return (
                        f"alerts {alerts.all()}; outbox {outbox.all()}; received {unreachable_notices(hook)}"
                    )

            def outbox_pending() -> int:
                with database.connect() as connection:
                    return int(
                        connection.execute(
                            text("SELECT count(*) FROM alert_outbox WHERE status <> 'delivered'")
                        ).scalar_one()
                    )

            down_stack = stack.enter_context(ExitStack())
            agents = {
                DOWN: down_stack.enter_context(snmpd_agent(tmp_path / "snmpd-da")),
                "sw-ss-01": stack.enter_context(snmpd_agent(tmp_path / "snmpd-ss")),
            }
            settings = {
                "EAMS_INFLUX_URL": vm.url, "EAMS_BUS_ENABLED": "true", "EAMS_BUS_ACK_WAIT_S": "5",
                "EAMS_BUS_LEADERSHIP_INTERVAL_S": "0.5", "EAMS_SNMP_POLLING": "false", **bus_env(nats),
            }  # fmt: skip
            a = stack.enter_context(serving(tmp_path, "a", database_url, **settings))
            wait_until(lambda: LEADS_ALL in a.log(), 60, "a leads")
            tokens = {
                token_name: a.token(role, token_name)
                for role, token_name in (("admin", "admin"), ("collector", "c-da"), ("collector", "c-ss"))
            }
            # b starts after a leads every partition: a leads, b stands by
            b = stack.enter_context(serving(tmp_path, "b", database_url, **settings))
            admin = httpx.Client(
                base_url=b.url, timeout=30, headers={"Authorization": f"Bearer {tokens['admin']}"}
            )
            stack.callback(admin.close)
            build_inventory(admin, agents)
            assert admin.put("/api/v1/alert-routing", json=routing(hook)).status_code == 200

            # The collectors ask b (the survivor) for their targets and heartbeat to it.
            collectors = []
            for token_name, device in (("c-da", DOWN), ("c-ss", "sw-ss-01")):
                argv = [EAMS, "collect", "--server", b.url, "--token", tokens[token_name]]
                argv += ["--site", SITES[device], "--name", token_name, "--refresh", "1", "--heartbeat", "1"]
                argv += ["--interval", str(POLL_S), "--bus", nats.url]
                collector_env = clean_env(EAMS_DATA_DIR=str(tmp_path / token_name), **bus_env(nats))
                process = start_collector(argv, collector_env, tmp_path / f"{token_name}.log")
                stack.callback(stop, process)
                collectors.append(process)
            wait_until(lambda: all(len(polls(vm, d)) >= 3 for d in SITES), 90, "polls of both devices")
            assert "leading bus partitions" not in b.log()  # standing by

            down_stack.close()  # the agent of DOWN stops answering
            wait_until(lambda: unreachable_notices(hook), 90, "the FIRING of the unreachable alert")
            wait_until(lambda: outbox_pending() == 0, 30, "the FIRING marked delivered")

            assert DELIVERS in a.log()  # a delivered the FIRING
            assert DELIVERS not in b.log()
            a.kill()
            killed = time.monotonic()
            wait_until(lambda: LEADS_ALL in b.log(), 60, "b takes every partition")
            takeover_s = time.monotonic() - killed
            down_stack.enter_context(snmpd_agent(tmp_path / "snmpd-da-again", port=agents[DOWN].port))
            back = time.monotonic()
            wait_until(
                lambda: any(s == "resolved" for _, s in unreachable_notices(hook)), 120, "the RESOLVED"
            )
            resolved_s = time.monotonic() - back
            # Room for a second copy to show: three more polls of the device, then nothing owed.
            seen = len(polls(vm, DOWN))
            wait_until(lambda: len(polls(vm, DOWN)) >= seen + 3, 60, "polls after the resolution")
            wait_until(lambda: outbox_pending() == 0, 30, "every notification delivered")
            assert b.process.poll() is None and all(c.poll() is None for c in collectors)

            with database.connect() as connection:
                occurrences = connection.execute(
                    text(
                        "SELECT a.state FROM alert a JOIN device d ON d.id = a.device_id "
                        "WHERE a.rule_name = 'device-unreachable' ORDER BY a.id"
                    )
                ).scalars().all()  # fmt: skip
            stored = {device: polls(vm, device) for device in SITES}
        notices = unreachable_notices(hook)
        print(
            f"takeover {takeover_s:.2f} s after kill -9 (leadership interval 0.5 s); RESOLVED "
            f"{resolved_s:.1f} s after the agent was back; polls stored: "
            + ", ".join(f"{d} {len(t)}" for d, t in stored.items())
        )
        for device, times in stored.items():
            gaps = [(b_ - a_) / 1000 for a_, b_ in itertools.pairwise(times)]
            lost = sum(max(0, round(g / POLL_S) - 1) for g in gaps if g > 1.5 * POLL_S)
            print(f"{device}: longest gap {max(gaps):.1f} s, about {lost} poll slots without a point")
        assert occurrences == ["resolved"]  # fired once (one occurrence), and it resolved
        assert len(notices) == 2 and set(notices.values()) == {1}, notices  # FIRING once, RESOLVED once
        assert {state for _, state in notices} == {"firing", "resolved"}
        for device, times in stored.items():
            assert len(times) == len(set(times)), f"a poll of {device} stored twice"
        assert "Traceback" not in b.log()
        assert DELIVERS in b.log()  # the survivor took the delivery over
    finally:
        vm.stop()
        hook.stop()
