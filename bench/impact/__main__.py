"""`./dev bench impact`: impact analysis through the HTTP API on a large synthetic landscape.

Builds a SQLite database with the landscape (`landscape.py`), starts the real service (`eams serve`)
on a free loopback port, and asks `/api/v1/reports/impact` for a mix of failures: a device of every
tier and some systems. Prints p50/p95 of the HTTP answers and, as the floor, of the raw in-memory
algorithm on the same failures in this process; the ratio is what the API adds (SQL for names and
users, JSON). Figures depend on the machine: run it alone for numbers worth comparing.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.impact.landscape import Landscape
from eams.auth import create_token
from inventory import migrate
from inventory.db import Database
from inventory.impact import NodeKey
from inventory.models import Role
from inventory.reports.impact import load_graph

# Share of the queries per tier: most failures are of leaf devices; the tiers above hurt more.
MIX = {"other": 0.35, "host": 0.2, "access": 0.2, "dist": 0.1, "core": 0.05, "system": 0.1}


@dataclass
class Figures:
    build_s: float
    first_http_s: float
    http_ms: list[float]
    raw_ms: list[float]
    lost_http: list[int]
    lost_raw: list[int]
    edges: int
    nodes: int

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(database_url: str, data_dir: Path, startup_s: float = 60) -> Iterator[str]:
    """`eams serve` in its own process group on a free loopback port; stopped by its PID.
    `startup_s`: how long its start may take (the components read the whole inventory)."""
    port = free_port()
    env = {
        **os.environ,
        "EAMS_DATABASE_URL": database_url,
        "EAMS_DATA_DIR": str(data_dir),
        "EAMS_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-c",
        "from eams.cli.main import app; app()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"eams serve exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"eams serve did not answer /healthz within {startup_s:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def choose_failures(landscape: Landscape, count: int, seed: int = 7) -> list[NodeKey]:
    rng = random.Random(seed)
    tiers = [tier for tier in MIX if landscape.tiers.get(tier)]
    weights = [MIX[tier] for tier in tiers]
    chosen: list[NodeKey] = []
    for _ in range(count):
        tier = rng.choices(tiers, weights)[0]
        node_type = "information_system" if tier == "system" else "device"
        chosen.append((node_type, rng.choice(landscape.tiers[tier])))
    return chosen


def run(devices: int, systems: int, queries: int, workdir: Path) -> Figures:
    database_url = f"sqlite:///{workdir / 'impact-bench.sqlite3'}"
    database = Database(database_url)
    migrate.upgrade(database.engine)
    landscape = Landscape(devices=devices, systems=systems, public_services=max(10, systems // 5))
    landscape.write(database.engine)
    with database.session() as session:
        _, token = create_token(session, name="bench", role=Role.planner)

    started = time.perf_counter()
    with database.session() as session:
        graph = load_graph(session)
    build_s = time.perf_counter() - started
    failures = choose_failures(landscape, queries)
    raw_ms: list[float] = []
    lost_raw: list[int] = []
    for failure in failures:
        started = time.perf_counter()
        result = graph.fail([failure])
        raw_ms.append((time.perf_counter() - started) * 1000)
        lost_raw.append(sum(1 for item in result.lost if item.node[0] == "information_system"))
    database.dispose()

    http_ms: list[float] = []
    lost_http: list[int] = []
    with (
        running_service(database_url, workdir / "var") as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client,
    ):
        started = time.perf_counter()
        warm = client.get("/api/v1/reports/impact", params={"node_type": "device", "node_id": 1})
        warm.raise_for_status()
        first_http_s = time.perf_counter() - started  # includes building the graph in the service
        for node_type, node_id in failures:
            started = time.perf_counter()
            response = client.get(
                "/api/v1/reports/impact", params={"node_type": node_type, "node_id": node_id}
            )
            http_ms.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            lost_http.append(response.json()["summary"]["systems"])
    return Figures(
        build_s, first_http_s, http_ms, raw_ms, lost_http, lost_raw, landscape.edges, graph.node_count
    )


def report(figures: Figures, devices: int, systems: int) -> dict[str, Any]:
    pct = Figures.pct
    summary = {
        "devices": devices,
        "systems": systems,
        "edges": figures.edges,
        "queries": len(figures.http_ms),
        "graph_build_s": round(figures.build_s, 2),
        "first_http_s": round(figures.first_http_s, 2),
        "http_p50_ms": round(pct(figures.http_ms, 0.5), 2),
        "http_p95_ms": round(pct(figures.http_ms, 0.95), 2),
        "http_max_ms": round(max(figures.http_ms), 2),
        "raw_p50_ms": round(pct(figures.raw_ms, 0.5), 3),
        "raw_p95_ms": round(pct(figures.raw_ms, 0.95), 3),
        "systems_lost_max": max(figures.lost_http),
    }
    raw_p95 = max(summary["raw_p95_ms"], 0.001)
    summary["ratio_p95_http_over_raw"] = round(summary["http_p95_ms"] / raw_p95, 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eams-bench-impact-") as tmp:
        started = time.perf_counter()
        figures = run(args.devices, args.systems, args.queries, Path(tmp))
        summary = report(figures, args.devices, args.systems)
    if figures.lost_http != figures.lost_raw:
        print("MISMATCH: the API and the raw algorithm disagree on systems lost", file=sys.stderr)
        sys.exit(1)
    print(f"impact analysis, {args.devices:,} devices, {args.systems:,} systems, {summary['edges']:,} edges")
    print(f"  graph build (in process, from SQLite):  {summary['graph_build_s']} s")
    print(f"  first HTTP query (service builds graph): {summary['first_http_s']} s")
    print(
        f"  HTTP  p50 {summary['http_p50_ms']} ms   p95 {summary['http_p95_ms']} ms   "
        f"max {summary['http_max_ms']} ms   ({summary['queries']} queries; target p95 < 100 ms)"
    )
    print(
        f"  raw   p50 {summary['raw_p50_ms']} ms   p95 {summary['raw_p95_ms']} ms   (ImpactGraph.fail, floor)"
    )
    print(
        f"  ratio HTTP/raw at p95: {summary['ratio_p95_http_over_raw']}x;  "
        f"most systems lost by one failure: {summary['systems_lost_max']}"
    )
    print(f"  total bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
