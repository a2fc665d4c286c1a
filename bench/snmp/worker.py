"""One engine's run, in its own process so that its peak memory is its own."""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from collectors.samples import Sample
from collectors.scheduler import PollScheduler
from collectors.sinks.lineprotocol import LineEncoder
from collectors.sinks.spool import Spool
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(
    engine: str, addresses: list[str], port: int, rounds: int, interval_s: float, concurrency: int
) -> dict[str, Any]:
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    encoder = LineEncoder()
    spool = Spool(Path(tempfile.mkdtemp(prefix="eams-bench-spool-")), fsync=True)
    batches: list[list[Sample]] = []

    async def publish(samples: list[Sample]) -> None:
        batches.append(samples)

    poller = Poller(make_engine(engine), ProfileSet.load())
    scheduler = PollScheduler(poller, publish, concurrency=concurrency, spread=False)
    scheduler.sync(
        [
            PollTarget(
                f"dev-{address}",
                Endpoint(address, port, timeout_s=5, retries=1),
                Credentials(),
                profile="net-snmp-linux",
            )
            for address in addresses
        ]
    )
    results: list[dict[str, Any]] = []
    for number in range(rounds):
        gc.collect()
        started, cpu = time.monotonic(), _cpu()
        polled = await scheduler.poll_all_once()
        # The sink step: line protocol for every sample, one durable spool append per round.
        samples = [sample for batch in batches for sample in batch]
        body = encoder.encode_batch(samples)
        spool.append(body)
        batches.clear()
        wall, used = time.monotonic() - started, _cpu() - cpu
        results.append(
            {
                "round": number,
                "wall_s": wall,
                "cpu_s": used,
                "varbinds": sum(r.status.varbinds for r in polled),
                "samples": len(samples),
                "bytes": len(body),
                "unreachable": sum(1 for r in polled if not r.status.reachable),
            }
        )
        await asyncio.sleep(max(0.0, interval_s - wall))
    await scheduler.stop()
    spool.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rounds": results, "peak_rss_mib": peak_kib / 1024, "baseline_rss_mib": baseline_kib / 1024}


if __name__ == "__main__":
    engine, port, rounds, interval, concurrency, addresses = sys.argv[1:7]
    print(
        json.dumps(
            asyncio.run(
                run(engine, addresses.split(","), int(port), int(rounds), float(interval), int(concurrency))
            )
        )
    )
