"""The service side of the agents leg, in its own process (started by bench/scale/agents.py).

    python -m bench.scale.service SPEC.json

Built with the service's own component factories on a scratch SQLite database the parent seeded
with the devices: the InfluxDB sink (no InfluxDB configured: line protocol into its durable,
fsync'ed spool, the embedded default), the alert engine with the shipped rules, then a probe that
times every sample, then the feed:

- with a bus in the spec: `bus_consumer_component` (every partition, as on SQLite). The parent
  sends `expect N` once the collectors have stopped; the worker stops when N samples have come;
- without (in-process): a `PollScheduler` polling every device into the same pipeline, as
  `eams serve` does by itself (without the status writes, which remote collectors don't make).

Prints one JSON line: per round (by the samples' poll time) the samples and their latency from
poll to probe (p50, p95, max), the totals, the consumer's and the sink's figures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import statistics
import sys
import time
from array import array
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.scale.spec import WorkerSpec, at_boundaries, peak_rss_mib, round_of, say, wait_for_start
from collectors.samples import Sample
from collectors.scheduler import PollScheduler
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.snmp.engines import DEFAULT_ENGINE, make_engine
from collectors.snmp.poller import STATUS_MEASUREMENT, Poller
from collectors.snmp.profile import ProfileSet
from eams.components import ComponentFactory, Components
from eams.components.alerts import alert_engine_component
from eams.components.bus import EXTRAS_KEY as BUS_KEY
from eams.components.bus import BusComponent, bus_consumer_component
from eams.components.sinks import EXTRAS_KEY as SINK_KEY
from eams.components.sinks import influx_sink_component
from eams.services import Services
from eams.settings import Settings

EXPECT_CEILING_S = 600.0  # how long the bus leg waits for the last samples before it gives up


class Probe:
    """The pipeline's last consumer: after the sink and the alert engine took a batch, it counts
    the samples and their latency since the poll, per round of poll time."""

    name = "latency probe"

    def __init__(self) -> None:
        self.t0: float | None = None
        self.interval_s = 1.0
        self.samples = 0
        self.latency_ms: dict[int, array[float]] = defaultdict(lambda: array("d"))
        # From each poll's status sample (it carries the poll's duration): the poll itself, and
        # the hand-over from the poll's end to here (publisher batching, bus, consumer, sink, engine).
        self.poll_ms: dict[int, array[float]] = defaultdict(lambda: array("d"))
        self.handover_ms: dict[int, array[float]] = defaultdict(lambda: array("d"))

    async def consume_samples(self, samples: list[Sample]) -> None:
        now_ns = time.time_ns()
        self.samples += len(samples)
        if self.t0 is None:
            return
        for sample in samples:
            number = round_of(sample.time_ns / 1e9, self.t0, self.interval_s)
            latency = (now_ns - sample.time_ns) / 1e6
            self.latency_ms[number].append(latency)
            if sample.measurement == STATUS_MEASUREMENT and sample.tags.get("component") == "snmp":
                poll = float(sample.fields.get("duration_s") or 0) * 1000
                self.poll_ms[number].append(poll)
                self.handover_ms[number].append(latency - poll)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def rounds(self) -> list[dict[str, Any]]:
        return [
            {
                "round": number,
                "samples": len(self.latency_ms[number]),
                "p50_ms": statistics.median(self.latency_ms[number]),
                "p95_ms": p95(self.latency_ms[number]),
                "max_ms": max(self.latency_ms[number]),
                "poll_p95_ms": p95(self.poll_ms[number]),
                "handover_p95_ms": p95(self.handover_ms[number]),
            }
            for number in sorted(self.latency_ms)
        ]


def p95(values: array[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


async def run(spec: WorkerSpec) -> dict[str, Any]:
    bus = spec.bus_config() if spec.bus else None
    settings = Settings(data_dir=Path(spec.data_dir), secret_key="bench")
    if bus:
        settings.bus = bus.model_copy(update={"enabled": True})
    services = Services.from_settings(settings)
    probe = Probe()

    def probe_component(services: Services) -> Probe:
        services.pipeline.add_sample_consumer(probe)
        return probe

    factories: list[ComponentFactory] = [influx_sink_component, alert_engine_component, probe_component]
    components = Components(services, [*factories, bus_consumer_component] if bus else factories)
    await components.start()
    result: dict[str, Any] = {"name": spec.name}
    if bus:
        consumer = services.extras[BUS_KEY]
        assert isinstance(consumer, BusComponent)
        await consumer.consumer.wait_ready()
    probe.t0 = await wait_for_start()
    probe.interval_s = spec.interval_s
    if bus:
        expected = int((await asyncio.to_thread(sys.stdin.readline)).strip())
        deadline = time.monotonic() + EXPECT_CEILING_S
        while probe.samples < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        result["consumer"] = dataclasses.asdict(consumer.consumer.stats)
    else:
        scheduler = PollScheduler(
            Poller(make_engine(DEFAULT_ENGINE), ProfileSet.load()), services.pipeline.publish_samples
        )
        await scheduler.start()
        scheduler.sync(spec.targets())
        result["scheduler_rounds"] = await at_boundaries(probe.t0, spec, scheduler.stats)
        await scheduler.stop()
    await components.stop()
    sink = services.extras[SINK_KEY]
    assert isinstance(sink, SpoolingInfluxSink)
    return result | {
        "samples": probe.samples,
        "rounds": probe.rounds(),
        "pipeline_errors": services.pipeline.errors,
        "sink": sink.state().as_dict(),
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = WorkerSpec.load(Path(sys.argv[1]))
    say(json.dumps(asyncio.run(run(spec)), default=str))


if __name__ == "__main__":
    main()
