"""`eams demo` as a newcomer runs it: a real subprocess, twice in a row, watched through the HTTP API.

Each run must load the example province, poll the lab's simulated devices (reachable), fire the
simulated fault's alert, and on SIGINT (run 1) or SIGTERM (run 2) exit 0 with no lab process left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from eams.demo.lab import LAB_DEVICES
from tests.support.peers import free_port, wait_until

EAMS = Path(sys.executable).parent / "eams"


def children_of(pid: int) -> set[int]:
    """PIDs whose parent is `pid` (the lab's snmpsim and snmpd run in their own process groups)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at ") ": state, ppid ...
        ppid = int(stat.rsplit(") ", 1)[1].split()[1])
        if ppid == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def token_from(log: Path) -> str | None:
    for line in log.read_text(errors="replace").splitlines():
        if "admin token:" in line:
            return line.split("admin token:")[1].strip()
    return None


def serving(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False  # the banner is printed just before the server listens


def run_demo_once(folder: Path, stop_with: signal.Signals, earlier_token: str | None = None) -> str:
    port = free_port()
    log = folder / f"demo-{stop_with.name}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [str(EAMS), "demo", "--port", str(port), "--data-dir", str(folder / "demo"), "--duration", "150"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: token_from(log) is not None and demo.poll() is None, 120, "the demo's banner")
        client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token_from(log)}"}, timeout=10
        )
        wait_until(lambda: serving(client), 30, "the demo's API", interval=0.2)
        if earlier_token is not None:
            # A fresh data folder each run: the earlier run's token is unknown to this one.
            stale = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {earlier_token}"})
            assert stale.status_code == 401, stale.text

        province = client.get("/api/v1/agencies", params={"code": "SL"}).json()
        assert [a["name"] for a in province["results"]] == ["Ủy ban nhân dân tỉnh Sơn Lâm"], province
        devices = {
            d["name"]: d for d in client.get("/api/v1/devices", params={"limit": 200}).json()["results"]
        }
        assert len(devices) >= 30  # the example province's inventory

        lab_ids = [devices[d.device]["id"] for d in LAB_DEVICES]

        def all_reachable() -> bool:
            statuses = [client.get(f"/api/v1/devices/{i}/status") for i in lab_ids]
            return all(s.status_code == 200 and s.json()["reachable"] is True for s in statuses)

        wait_until(all_reachable, 60, "every lab device polled and reachable", interval=1)

        def fault_fired() -> bool:
            alerts = client.get("/api/v1/alerts", params={"rule_name": "demo-cpu-high"}).json()["results"]
            return any(a["state"] == "firing" and a["labels"]["device"] == "dc-srv-mail-01" for a in alerts)

        wait_until(fault_fired, 60, "the simulated fault's alert", interval=1)

        def burst_fired() -> bool:
            # Real datagrams into the demo's syslog listener, parsed as FortiGate lines, counted
            # by the shipped burst rule: one alert for the attacking address.
            alerts = client.get(
                "/api/v1/alerts", params={"rule_name": "syslog-admin-login-failed-burst"}
            ).json()["results"]
            return [a["labels"].get("src_ip") for a in alerts if a["state"] == "firing"] == ["203.0.113.77"]

        wait_until(burst_fired, 60, "the demo's syslog burst alert", interval=1)
        logged = client.get("/api/v1/syslog", params={"limit": 50}).json()
        by_event = sorted(m.get("event") or "" for m in logged["results"])
        assert by_event.count("admin_login_failed") >= 5 and "config_changed" in by_event, by_event
        # Each line came from its lab device's loopback address, which the intake knows it by.
        senders = {m["device_id"] for m in logged["results"]}
        assert {devices["dc-fw-01"]["id"], devices["dc-srv-mail-01"]["id"]} <= senders, senders

        lab = children_of(demo.pid)
        assert lab, "the demo started no lab process"
        demo.send_signal(stop_with)
        assert demo.wait(30) == 0, log.read_text()
        assert [pid for pid in lab if alive(pid)] == []
        output = log.read_text(errors="replace")
        assert f"Stopped ({stop_with.name})" in output and "Traceback" not in output, output
        token = token_from(log)
        assert token is not None
        return token
    finally:
        if demo.poll() is None:  # the test failed: stop the demo, and its lab even if it hangs
            leftovers = children_of(demo.pid)
            demo.terminate()
            try:
                demo.wait(20)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)  # each lab agent leads its own process group


def test_the_demo_runs_twice_in_a_row_and_stops_cleanly_on_sigint_and_sigterm(tmp_path: Path) -> None:
    if not EAMS.exists():
        pytest.fail(f"{EAMS} is missing: `./dev setup` installs the eams command")
    first_token = run_demo_once(tmp_path, signal.SIGINT)
    run_demo_once(tmp_path, signal.SIGTERM, earlier_token=first_token)
