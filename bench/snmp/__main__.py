"""./dev bench snmp [--devices N] [--rounds R] [--interval S]

Starts N simulated devices (snmpd on 127.0.x.y loopback addresses), polls them for R rounds with
each engine and, in the same run on the same agents, with prometheus-snmp-exporter and net-snmp
snmpbulkwalk. Prints per tool: varbinds per CPU-second, devices per minute, the end-to-end time
of one full round (poll -> samples -> line protocol -> durable spool append; the spool and the
encoder are the `sink` branch's), missed polls and peak memory, then the 5,000-device
extrapolation from the measured per-device CPU cost. The first round (profile discovery and
label walks) is reported apart; figures are over the steady rounds after it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from typing import Any

from bench.snmp.agents import snmpd_devices
from bench.snmp.peers import run_bulkwalk, run_exporter
from collectors.snmp.profile import ProfileSet

TARGET_DEVICES = 5000
TARGET_ROUND_S = 20.0


def run_engine(engine: str, addresses: list[str], port: int, args: argparse.Namespace) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.snmp.worker",
        engine,
        str(port),
        str(args.rounds),
        str(args.interval),
        str(args.concurrency),
        ",".join(addresses),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "."})
    if done.returncode != 0:
        raise RuntimeError(f"the {engine} run failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summarize(name: str, result: dict[str, Any], devices: int, interval: float) -> dict[str, Any]:
    rounds = result["rounds"]
    steady = rounds[1:] or rounds
    walls = sorted(r["wall_s"] for r in steady)
    cpu = sum(r["cpu_s"] for r in steady)
    varbinds = sum(r["varbinds"] for r in steady)
    median = statistics.median(walls)
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    missed = sum(devices for r in steady if r["wall_s"] > interval)
    per_device_cpu = cpu / len(steady) / devices
    return {
        "tool": name,
        "first_round_s": rounds[0]["wall_s"],
        "round_p50_s": median,
        "round_p95_s": p95,
        "varbinds_per_device": varbinds / len(steady) / devices,
        "varbinds_per_cpu_s": varbinds / cpu if cpu else float("inf"),
        "devices_per_min": devices / median * 60,
        "missed_polls": missed,
        "peak_rss_mib": result.get("peak_rss_mib"),
        "cpu_ms_per_device": per_device_cpu * 1000,
        "extrapolated_5000_round_cpu_s": per_device_cpu * TARGET_DEVICES,
        "unreachable": sum(r.get("unreachable", 0) for r in steady),
    }


def print_table(rows: list[dict[str, Any]], reference: dict[str, Any] | None) -> None:
    header = (
        f"{'tool':<22}{'round p50':>10}{'p95':>8}{'1st':>7}{'vb/dev':>8}{'vb/CPU-s':>10}{'dev/min':>9}"
        f"{'missed':>7}{'peak MiB':>9}{'CPU ms/dev':>11}{'vs exporter':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio_text = (
            f"{row['varbinds_per_cpu_s'] / reference['varbinds_per_cpu_s']:>11.2f}x"
            if reference
            else f"{'-':>12}"
        )
        peak = f"{row['peak_rss_mib']:.0f}" if row["peak_rss_mib"] else "-"
        print(
            f"{row['tool']:<22}{row['round_p50_s']:>9.2f}s{row['round_p95_s']:>7.2f}s{row['first_round_s']:>6.1f}s"
            f"{row['varbinds_per_device']:>8.0f}{row['varbinds_per_cpu_s']:>10.0f}{row['devices_per_min']:>9.0f}"
            f"{row['missed_polls']:>7}{peak:>9}{row['cpu_ms_per_device']:>11.2f}{ratio_text}"
        )


async def peers(
    profile_name: str, addresses: list[str], port: int, args: argparse.Namespace
) -> dict[str, Any]:
    profile = ProfileSet.load()[profile_name]
    found: dict[str, Any] = {}
    if "exporter" in args.peers:
        found["snmp_exporter (Go)"] = await run_exporter(
            profile, addresses, port, args.rounds, args.interval, min(args.concurrency, 64)
        )
    if "bulkwalk" in args.peers:
        found["snmpbulkwalk (C)"] = await run_bulkwalk(
            profile, addresses[: args.bulkwalk_devices], port, min(args.rounds, 3), args.interval, 8
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="./dev bench snmp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100, help="simulated devices (default 100)")
    parser.add_argument("--rounds", type=int, default=4, help="polling rounds per tool (default 4)")
    parser.add_argument("--interval", type=float, default=20.0, help="seconds per round (default 20)")
    parser.add_argument("--concurrency", type=int, default=256, help="polls in flight (default 256)")
    parser.add_argument("--engines", default="pysnmp,snmpkit")
    parser.add_argument("--peers", default="exporter,bulkwalk")
    parser.add_argument("--bulkwalk-devices", type=int, default=20, help="devices for snmpbulkwalk (slow)")
    args = parser.parse_args()

    print(
        f"SNMP polling benchmark: {args.devices} snmpd devices on loopback, {args.rounds} rounds, "
        f"{args.interval:.0f} s interval, profile net-snmp-linux; {os.cpu_count()} CPUs (shared)"
    )
    with snmpd_devices(args.devices) as (addresses, port):
        rows: list[dict[str, Any]] = []
        for engine in [e for e in args.engines.split(",") if e]:
            rows.append(
                summarize(
                    f"eams/{engine}", run_engine(engine, addresses, port, args), args.devices, args.interval
                )
            )
        peer_results = asyncio.run(peers("net-snmp-linux", addresses, port, args))
        reference = None
        for name, result in peer_results.items():
            devices = args.devices if "exporter" in name else min(args.devices, args.bulkwalk_devices)
            row = summarize(name, result, devices, args.interval)
            rows.append(row)
            if "exporter" in name:
                reference = row
    print()
    print_table(rows, reference)
    print()
    print("Round = poll every device once. eams rounds include samples, line protocol and a durable")
    print("(fsync) spool append of the whole round; snmp_exporter rounds are HTTP scrapes (it walks")
    print("label columns every scrape; eams caches them). snmpbulkwalk: one process per column.")
    print(f"\nExtrapolation to {TARGET_DEVICES} devices (measured CPU per device x {TARGET_DEVICES}; one")
    print("asyncio process uses one core, so this CPU time is a floor on the round time):")
    for row in rows:
        if row["tool"].startswith("eams/"):
            verdict = "within" if row["extrapolated_5000_round_cpu_s"] < TARGET_ROUND_S else "over"
            print(
                f"  {row['tool']:<16} {row['extrapolated_5000_round_cpu_s']:6.1f} CPU-s per round "
                f"({verdict} the {TARGET_ROUND_S:.0f} s target)"
            )
    print(json.dumps(rows, indent=None))


if __name__ == "__main__":
    main()
