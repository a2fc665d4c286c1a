"""The peers measured in the same run: prometheus-snmp-exporter (Go) and net-snmp snmpbulkwalk (C).

snmp_exporter gets a generator-free snmp.yml written here from our `net-snmp-linux` profile, so
it reads the same OIDs (scalars by GET, columns and label columns by GETBULK walk; it walks the
label columns on every scrape, where our poller caches them).
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from collectors.snmp.profile import Profile
from tests.support.peers import free_port, stop, tcp_open, wait_until

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def exporter_module(profile: Profile, max_repetitions: int = 25) -> dict[str, Any]:
    metrics: list[dict[str, Any]] = []
    walk: list[str] = []
    get: list[str] = []
    for metric in profile.metrics:
        for spec in metric.fields:
            kind = (
                "counter"
                if spec.counter
                else "DisplayString"
                if spec.type == "str" and not spec.enum
                else "gauge"
            )
            name = re.sub(r"\W", "_", f"{metric.measurement}_{spec.field}")
            if not metric.is_table:
                get.append(spec.oid)
                metrics.append({"name": name, "oid": spec.oid.removesuffix(".0"), "type": kind})
                continue
            walk.append(spec.oid)
            entry: dict[str, Any] = {
                "name": name,
                "oid": spec.oid,
                "type": kind,
                "indexes": [{"labelname": metric.index_tag or "index", "type": "gauge"}],
            }
            if metric.tags:
                entry["lookups"] = [
                    {
                        "labels": [metric.index_tag or "index"],
                        "labelname": tag.tag,
                        "oid": tag.oid,
                        "type": "DisplayString",
                    }
                    for tag in metric.tags
                ]
                walk.extend(tag.oid for tag in metric.tags if tag.oid not in walk)
            metrics.append(entry)
    return {
        "eams": {
            "version": 2,
            "auth": {"community": "public"},
            "max_repetitions": max_repetitions,
            "retries": 1,
            "timeout": "5s",
            "get": get,
            "walk": walk,
            "metrics": metrics,
        }
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def run_exporter(
    profile: Profile, addresses: list[str], port: int, rounds: int, interval_s: float, concurrency: int
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="eams-bench-exporter-"))
    config = folder / "snmp.yml"
    config.write_text(yaml.safe_dump(exporter_module(profile), sort_keys=False))
    http_port = free_port()
    process = subprocess.Popen(
        [
            "prometheus-snmp-exporter",
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{http_port}",
        ],
        stdout=open(folder / "log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: tcp_open("127.0.0.1", http_port), 15, "snmp_exporter")
        limit = asyncio.Semaphore(concurrency)
        results: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:

            async def scrape(address: str) -> int:
                async with limit:
                    response = await client.get(
                        f"http://127.0.0.1:{http_port}/snmp",
                        params={"target": f"{address}:{port}", "module": "eams"},
                    )
                match = re.search(r"^snmp_scrape_pdus_returned (\d+)", response.text, flags=re.M)
                return int(match.group(1)) if match else 0

            for number in range(rounds):
                started, cpu = time.monotonic(), _cpu_seconds(process.pid)
                varbinds = sum(await asyncio.gather(*(scrape(a) for a in addresses)))
                wall, used = time.monotonic() - started, _cpu_seconds(process.pid) - cpu
                results.append({"round": number, "wall_s": wall, "cpu_s": used, "varbinds": varbinds})
                await asyncio.sleep(max(0.0, interval_s - wall))
        return {"rounds": results, "peak_rss_mib": _rss_peak_kib(process.pid) / 1024, "config": str(config)}
    finally:
        stop(process)


async def run_bulkwalk(
    profile: Profile, addresses: list[str], port: int, rounds: int, interval_s: float, concurrency: int
) -> dict[str, Any]:
    """One snmpget for the scalars and one snmpbulkwalk per column and label column, per device."""
    subtrees = [*profile.column_oids, *profile.label_oids]
    limit = asyncio.Semaphore(concurrency)
    base = ["-v2c", "-c", "public", "-On", "-OQ", "-Cr25", "-t", "5", "-r", "1"]

    async def run(argv: list[str]) -> int:
        async with limit:
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
            )
            output, _ = await process.communicate()
        return output.count(b"\n")

    async def device(address: str) -> int:
        agent = f"{address}:{port}"
        count = await run(["snmpget", *[b for b in base if b != "-Cr25"], agent, *profile.scalar_oids])
        for subtree in subtrees:
            count += await run(["snmpbulkwalk", *base, agent, subtree])
        return count

    results: list[dict[str, Any]] = []
    for number in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        varbinds = sum(await asyncio.gather(*(device(a) for a in addresses)))
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        results.append({"round": number, "wall_s": wall, "cpu_s": used, "varbinds": varbinds})
        await asyncio.sleep(max(0.0, interval_s - wall))
    return {"rounds": results, "peak_rss_mib": None}
