"""The read path end to end (issue 13's "done means"): a real `eams serve` polls a real net-snmp
agent every 2 s and writes both to its embedded store and, through its InfluxDB sink, to a real
InfluxDB 1.6 (`influxd`). Then:

- the raw counters the series API answers bracket what net-snmp's `snmpget` reads in between
  (the loopback interface's octets grow with every SNMP packet, so they move at each poll);
- the rates it answers are the counters' differences over the exact times InfluxDB holds;
- the same question asked of InfluxDB through the InfluxQL backend gets the store's answer;
- after `kill -9` the store serves everything flushed before the kill, and the samples lost in
  the last unflushed interval are counted exactly in /sinks/store.

InfluxDB 1.6 has no `/api/v2/write` (1.8 added it): tests/support/influx_v2_relay.py passes the
sink's requests to its `/write`, body untouched.
"""

from __future__ import annotations

import itertools
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.sink import INTAKE_FILE
from eams.demo.lab import LabDevice, write_demo_recording
from eams.metrics import query
from eams.metrics.backends.influx import InfluxBackend
from eams.metrics.service import MetricsService
from eams.metrics.wiring import measurement_schema
from tests.support.influx_v2_relay import v2_write_relay
from tests.support.peers import free_port, running, tcp_open, wait_until
from tests.support.snmp_agents import Agent, net_snmp_values, prepare_recordings, snmpd_agent, snmpsim_agent
from tests.support.tsdb import InfluxDB1, influxdb1

pytestmark = pytest.mark.peer("snmpd", "influxd")

EAMS = str(Path(sys.executable).with_name("eams"))
INTERVAL_S = 2
POLL_WINDOW_S = 2.0  # a poll's sample is stamped when it starts; the agent answers within this
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
DEVICE = "srv-lab"
SIM_DEVICE = "sw-sim"
SIM_RECORDING = "cisco/c3560"
SIM_IF_INDEX = "2"  # Vl2 of the recording, its HC octets growing by the demo's variation
AGENTS = ["snmpd", "snmpsim"]
DB = "eams"


@dataclass
class Watched:
    """A polled device, its agent and the interface whose octets the tests follow."""

    device: str
    agent: Agent
    community: str
    if_index: str
    device_id: int = 0


@dataclass
class Served:
    folder: Path
    env: dict[str, str]
    base: str
    token: str
    influx: InfluxDB1
    watched: dict[str, Watched]
    process: subprocess.Popen[bytes]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def get(self, path: str, **params: object) -> Any:
        with self.http() as client:
            answer = client.get(f"/api/v1/{path}", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=20).status_code == 200
    except httpx.TransportError:
        return False


def serve(folder: Path, env: dict[str, str], port: int) -> Any:
    return running(
        [EAMS, "serve", "--port", str(port)],
        ready=lambda: tcp_open("127.0.0.1", port) and _healthy(f"http://127.0.0.1:{port}"),
        what="eams serve",
        log_path=folder / f"serve-{time.monotonic_ns()}.log",
        env=env,
        cwd=folder,
        timeout=90,
    )


def _created(answer: httpx.Response) -> int:
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def if_index_named(agent: Agent, name: str, community: str) -> str:
    names = net_snmp_values("snmpbulkwalk", agent, IF_NAME, community=community)
    return next(oid.rsplit(".", 1)[1] for oid, found in names.items() if found == name)


def simulated_switch_data() -> Path:
    """A real Cisco 3560's recording (snmpsim-data) whose octet counters grow, as in the demo."""
    data = prepare_recordings([SIM_RECORDING])
    write_demo_recording(data, LabDevice(SIM_DEVICE, SIM_RECORDING))
    return data


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("metrics-serve")
    sim_community = LabDevice(SIM_DEVICE, SIM_RECORDING).community
    with (
        snmpd_agent(folder / "snmpd") as agent,
        snmpsim_agent(folder / "snmpsim", [sim_community], data=simulated_switch_data()) as sim,
        influxdb1(folder / "influxd") as influx,
        v2_write_relay(influx.url) as relay,
    ):
        influx.query(f"CREATE DATABASE {DB}")
        watched = {
            "snmpd": Watched(DEVICE, agent, "public", if_index_named(agent, "lo", "public")),
            "snmpsim": Watched(SIM_DEVICE, sim, sim_community, SIM_IF_INDEX),
        }
        clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
        env = {
            **clean,
            "EAMS_DATA_DIR": str(folder / "var"),
            "EAMS_SNMP_POLLING": "on",  # tests/conftest.py turns it off for in-process services
            "EAMS_SNMP_INTERVAL_S": str(INTERVAL_S),
            "EAMS_METRICS_STORE": "on",  # beside InfluxDB, as the cache of the last hours
            "EAMS_INFLUX_URL": relay,
            "EAMS_INFLUX_BUCKET": DB,
        }
        token = subprocess.run(
            [EAMS, "token", "create", "--role", "admin", "--name", "metrics-tests"],
            env=env, cwd=folder, capture_output=True, text=True, timeout=120, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        port = free_port()
        with serve(folder, env, port) as process:
            found = Served(folder, env, f"http://127.0.0.1:{port}", token, influx, watched, process)
            with found.http() as client:
                for w in watched.values():
                    credential = _created(
                        client.post(
                            "/api/v1/credentials",
                            json={
                                "name": f"v2c-{w.device}",
                                "kind": "snmp_v2c",
                                "community": w.community,
                                "port": w.agent.port,
                                "timeout_s": 5,
                                "retries": 1,
                            },
                        )
                    )
                    w.device_id = _created(
                        client.post(
                            "/api/v1/devices",
                            json={
                                "name": w.device,
                                "role": "server",
                                "management_ip": w.agent.host,
                                "credentials_id": credential,
                            },
                        )
                    )
            yield found


def raw_points(served: Served, w: Watched, since: str = "10m") -> list[tuple[int, float]]:
    """(step start in unix seconds, counter) of the interface's in_octets, one 1-s step per poll."""
    body = served.get(
        "metrics/series",
        device=w.device,
        measurement="interface",
        field="in_octets",
        entity=f"ifIndex={w.if_index}",
        since=since,
        step="1s",
        raw="true",
    )
    if not body["series"]:
        return []  # not polled yet
    (series,) = body["series"]
    return [(t, v) for t, v in zip(series["time"], series["last"], strict=True) if v is not None]


def wait_for_points(served: Served, w: Watched, after: float, count: int = 1) -> list[tuple[int, float]]:
    """Wait until the store answers `count` points stamped at or after `after` (unix seconds)."""
    found: list[tuple[int, float]] = []

    def enough() -> bool:
        nonlocal found
        found = raw_points(served, w)
        return sum(1 for t, _ in found if t >= after) >= count

    wait_until(enough, 120, f"{count} polls after {after:.0f} in the store", interval=0.5)
    return found


def snmpget_in_octets(w: Watched) -> tuple[float, float, int]:
    """(time before, time after, ifHCInOctets of the interface) read by net-snmp itself."""
    before = time.time()
    oid = f"{IF_HC_IN_OCTETS}.{w.if_index}"
    value = int(net_snmp_values("snmpget", w.agent, oid, community=w.community)[oid])
    return before, time.time(), value


@pytest.mark.parametrize("agent", AGENTS)
def test_raw_counters_are_what_snmpget_reads_between_the_polls(served: Served, agent: str) -> None:
    w = served.watched[agent]
    first = wait_for_points(served, w, 0, count=2)[0][0]
    time.sleep(max(0.0, first + 1 + POLL_WINDOW_S - time.time()))  # one poll surely answered before
    readings = []
    for _ in range(3):
        readings.append(snmpget_in_octets(w))
        time.sleep(INTERVAL_S * 1.5)
    points = wait_for_points(served, w, readings[-1][1] + 1, count=1)
    assert len(points) >= 5
    for before, after, value in readings:
        # A point is stamped when its poll starts, within its 1-s step: it was read by then at the
        # latest if its step ends a poll window before the snmpget, and after it if it starts later.
        earlier = [v for t, v in points if t + 1 + POLL_WINDOW_S <= before]
        later = [v for t, v in points if t >= after]
        assert earlier and later, (before, after, points)
        assert earlier[-1] <= value <= later[0], (before, after, value, points)
    counters = [v for _, v in points]
    assert counters == sorted(counters) and counters[0] < counters[-1]


def influx_points(served: Served, w: Watched) -> list[tuple[int, int]]:
    """(ns, counter) of the same interface as the sink wrote them to InfluxDB 1.6."""
    answer = served.influx.query(
        f'SELECT "in_octets" FROM "interface" WHERE "device" = \'{w.device}\' '
        f"AND \"ifIndex\" = '{w.if_index}'",
        db=DB,
    )
    result = answer["results"][0]
    assert "error" not in result, result
    return [(int(t), int(v)) for series in result.get("series", []) for t, v in series["values"]]


def wait_for_influx(served: Served, w: Watched, through_s: int) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def arrived() -> bool:
        nonlocal found
        found = influx_points(served, w)
        return bool(found) and found[-1][0] // 1_000_000_000 >= through_s

    wait_until(arrived, 120, "the sink's points in InfluxDB", interval=0.5)
    return found


@pytest.mark.parametrize("agent", AGENTS)
def test_rates_are_the_counters_differences_over_the_exact_poll_times(served: Served, agent: str) -> None:
    w = served.watched[agent]
    points = wait_for_points(served, w, 0, count=5)
    exact = wait_for_influx(served, w, points[-1][0])
    stored = dict(points)
    # The store holds exactly the counters InfluxDB holds, at the same times.
    assert {t // 1_000_000_000: v for t, v in exact if t // 1_000_000_000 in stored} == stored
    body = served.get(
        "metrics/series",
        device=w.device,
        measurement="interface",
        field="in_octets",
        entity=f"ifIndex={w.if_index}",
        start=str(points[0][0]),
        end=str(points[-1][0] + 1),
        step="1s",
    )
    (series,) = body["series"]
    assert series["kind"] == "rate" and series["unit"] == "B/s"
    rates = {t: v for t, v in zip(series["time"], series["mean"], strict=True) if v is not None}
    expected = {
        t1 // 1_000_000_000: (v1 - v0) / ((t1 - t0) / 1e9)
        for (t0, v0), (t1, v1) in itertools.pairwise(exact)
        if points[0][0] < t1 // 1_000_000_000 <= points[-1][0]
    }
    # snmpd caches its interface table for a few seconds: some intervals see no growth at all.
    assert len(expected) >= 4 and any(rate > 0 for rate in expected.values())
    # Rates are computed over times in float seconds, exact to 0.24 us today: 1e-6 of 2 s is 2 us.
    assert rates == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("agent", AGENTS)
def test_influxdb_backend_answers_what_the_store_answers(served: Served, agent: str) -> None:
    w = served.watched[agent]
    points = wait_for_points(served, w, 0, count=5)
    wait_for_influx(served, w, points[-1][0])
    start, end = points[0][0], points[-1][0] + 1
    params = {"start": str(start), "end": str(end), "step": "5s"}
    store = served.get(
        "metrics/series",
        device=w.device,
        measurement="interface",
        field=["in_octets", "out_octets"],
        **params,
    )
    assert store["backend"] == "store"
    schema = measurement_schema()
    config = MetricsConfig(engine="influx")
    interface = schema["interface"]
    request = query.SeriesRequest(
        interface,
        [interface.fields["in_octets"], interface.fields["out_octets"]],
        [query.Device(w.device_id, w.device)],
        {},
        query.time_range(config, since=None, start=params["start"], end=params["end"], step="5s", steps=None),
    )
    backend = InfluxBackend(served.influx.url, bucket=DB, schema=schema)
    try:
        influx = MetricsService(schema, config, influx=backend).series(request).model_dump(mode="json")
    finally:
        backend.close()
    assert influx["backend"] == "influx"
    assert len(store["series"]) >= 4  # two interfaces or more, both fields
    assert influx["series"] == store["series"]
    for key in ("start", "end", "step_s", "resolution", "measurement"):
        assert influx[key] == store[key], key


def read_intake(folder: Path) -> int:
    (received,) = struct.unpack("<Q", (folder / INTAKE_FILE).read_bytes()[:8])
    return int(received)


def test_kill_9_loses_at_most_the_unflushed_samples_and_counts_them(served: Served) -> None:
    """The service is killed while a poll's samples wait for the next flush (at most 1 s); at the
    next start the store serves all it served before, and counts what was lost, exactly: the
    samples received (a counter in a mapped file, kept by the kernel) minus those flushed."""
    w = served.watched["snmpd"]
    wait_for_points(served, w, 0, count=3)
    metrics_dir = served.folder / "var" / "metrics"
    deadline = time.monotonic() + 120
    while True:
        before = raw_points(served, w)
        queued = served.get("sinks/store")["queued_samples"]
        if queued > 0:
            os.killpg(served.process.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "no poll was ever caught waiting for its flush"
        time.sleep(0.05)
    served.process.wait(10)
    received = read_intake(metrics_dir)
    env = served.env | {"EAMS_SNMP_POLLING": "off"}  # nothing new arrives: what is served was kept
    port = free_port()
    with serve(served.folder, env, port):
        served.base = f"http://127.0.0.1:{port}"
        store = served.get("sinks/store")["store"]
        after = raw_points(served, w)
    assert store["samples"] + store["lost_samples"] == received
    # What waited at the kill (and at most one more poll landing in the same millisecond).
    assert queued <= store["lost_samples"] <= 2 * queued, (queued, store)
    # Everything served before is served again (a flush between the two reads adds one point).
    assert after[: len(before)] == before and len(after) - len(before) <= 1
