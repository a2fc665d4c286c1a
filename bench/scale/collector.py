"""One collector process of the agents leg: what `eams collect --bus` runs, with the bench's targets.

    python -m bench.scale.collector SPEC.json      (started by bench/scale/agents.py)

`RemoteCollector` with a bus is the real composition: its `PollScheduler` (default engine,
snmpkit) -> its `Pipeline` -> `BusPublisher` (spool, per-partition batches, PubAck). Only the
service API is left out: the targets are the spec's devices instead of a fetch from the service,
and there is no registration or heartbeat to send. Polls rounds warm-up + measured, then stops
(seals and drains the bus publisher) and prints one JSON line: per-round scheduler counts, the
samples the poller made and those the publisher sealed, the publisher's stats.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

from bench.scale.spec import WorkerSpec, at_boundaries, peak_rss_mib, say, wait_for_start
from collectors.remote.runner import CollectorConfig, CollectorRuntime, RemoteCollector
from collectors.samples import Sample
from collectors.snmp.poller import PollTarget


class SampleCounter:
    """A pipeline consumer beside the publisher: the samples the poller handed over."""

    name = "sample counter"

    def __init__(self) -> None:
        self.samples = 0

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples += len(samples)


class BenchCollector(RemoteCollector):
    """`eams collect --bus` without a service: targets given, nothing to register with."""

    def __init__(self, config: CollectorConfig, runtime: CollectorRuntime, targets: list[PollTarget]) -> None:
        super().__init__(config, runtime)
        self.bench_targets = targets

    async def register(self) -> None:
        self.registered = True

    async def _targets(self) -> list[PollTarget]:
        return self.bench_targets


async def run(spec: WorkerSpec) -> dict[str, Any]:
    data_dir = Path(spec.data_dir)
    config = CollectorConfig(
        server="http://127.0.0.1:9",  # never called: registration and targets are the bench's
        token="bench",
        name=spec.name,
        refresh_s=24 * 3600,
        heartbeat_s=24 * 3600,
        drain_timeout_s=120,
    )
    runtime = CollectorRuntime(data_dir=data_dir, spool_max_bytes=1 << 30, bus=spec.bus_config())
    collector = BenchCollector(config, runtime, spec.targets())
    counter = SampleCounter()
    collector.pipeline.add_sample_consumer(counter)
    assert collector.bus is not None

    def snapshot() -> dict[str, Any]:
        return collector.scheduler.stats() | {"polled_samples": counter.samples}

    t0 = await wait_for_start()
    stop = asyncio.Event()
    running = asyncio.create_task(collector.run(stop))
    rounds = await at_boundaries(t0, spec, snapshot)
    stop.set()
    await running
    return {
        "name": spec.name,
        "rounds": rounds,
        "polled_samples": counter.samples,
        "bus": dataclasses.asdict(collector.bus.stats) | {"pending_batches": collector.bus.pending()},
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = WorkerSpec.load(Path(sys.argv[1]))
    say(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
