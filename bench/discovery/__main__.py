"""`./dev bench discovery`: sweep loopback addresses where some snmpd agents answer, with eams's
sweep and with net-snmp's tools (snmpget + snmpbulkwalk per address, run side by side), and print
medians and the ratio. Loopback only; the agents are stopped by PID.

    ./dev bench discovery [--agents 50] [--silent 50] [--rounds 3] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.snmp.agents import device_addresses, snmpd_devices
from collectors.discovery.reader import SYSTEM_OIDS, WALKED
from collectors.discovery.sweep import Probe, SweepSettings, sweep
from collectors.snmp.engine import Credentials
from collectors.snmp.engines import make_engine


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def eams_round(addresses: list[str], port: int, settings: SweepSettings) -> dict[str, Any]:
    engine = make_engine()
    probes = [Probe("public", Credentials(community="public"), port)]
    cpu, start = _cpu(), time.perf_counter()
    try:
        result = await sweep(engine, addresses, probes, settings)
    finally:
        await engine.close()
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu() - cpu,
        "found": len(result.reports),
        "neighbours_and_ifs": sum(len(r.interfaces) for r in result.reports),
    }


def _net_snmp_one(address: str, port: int, timeout: float) -> bool:
    common = ["-v2c", "-c", "public", "-m", "", "-On", "-t", str(timeout), "-r", "0", f"{address}:{port}"]
    got = subprocess.run(["snmpget", *common, *SYSTEM_OIDS], capture_output=True, env={"MIBS": ""})
    if got.returncode != 0:
        return False
    for column in WALKED:  # snmpbulkwalk takes one subtree per run
        subprocess.run(["snmpbulkwalk", *common, column], capture_output=True, env={"MIBS": ""})
    return True


def net_snmp_round(addresses: list[str], port: int, settings: SweepSettings) -> dict[str, Any]:
    cpu, start = _children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(settings.concurrency) as pool:
        found = sum(pool.map(lambda a: _net_snmp_one(a, port, settings.timeout_s), addresses))
    return {"seconds": time.perf_counter() - start, "cpu": _children_cpu() - cpu, "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--silent", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    settings = SweepSettings(concurrency=args.concurrency, rate=0, timeout_s=args.timeout, retries=0)
    figures = run(args.agents, args.silent, args.rounds, settings)
    total = args.agents + args.silent
    print(f"sweep of {total} loopback addresses ({args.agents} snmpd agents), {args.rounds} rounds, "
          f"concurrency {args.concurrency}, timeout {args.timeout} s")  # fmt: skip
    print(f"{'tool':<34}{'wall p50':>10}{'wall max':>10}{'CPU p50':>10}{'addr/s':>9}{'found':>7}")
    for name, rows in figures.items():
        wall = statistics.median(r["seconds"] for r in rows)
        print(
            f"{name:<34}{wall:>9.2f}s{max(r['seconds'] for r in rows):>9.2f}s"
            f"{statistics.median(r['cpu'] for r in rows):>9.2f}s{total / wall:>9.1f}{rows[0]['found']:>7}"
        )
    eams = statistics.median(r["seconds"] for r in figures["eams sweep (snmpkit)"])
    peer = statistics.median(r["seconds"] for r in figures["net-snmp snmpget+snmpbulkwalk"])
    print(f"eams wall time is {peer / eams:.1f}x faster than net-snmp's tools over the same addresses")


def run(agents: int, silent: int, rounds: int, settings: SweepSettings) -> dict[str, list[dict[str, Any]]]:
    figures: dict[str, list[dict[str, Any]]] = {
        "eams sweep (snmpkit)": [],
        "net-snmp snmpget+snmpbulkwalk": [],
    }
    with snmpd_devices(agents) as (answering, port):
        addresses = device_addresses(agents + silent)
        assert addresses[:agents] == answering
        for _ in range(rounds):
            figures["eams sweep (snmpkit)"].append(asyncio.run(eams_round(addresses, port, settings)))
            figures["net-snmp snmpget+snmpbulkwalk"].append(net_snmp_round(addresses, port, settings))
    return figures


if __name__ == "__main__":
    main()
