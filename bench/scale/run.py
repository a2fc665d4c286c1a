"""The scale benchmark's workload and measurements (`./dev bench scale`, see __main__.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.sink.__main__ import estate
from collectors.bus.config import BusConfig
from collectors.bus.consumer import BusConsumer
from collectors.bus.publisher import BusPublisher
from collectors.pipeline import Pipeline
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Config:
    devices: int = 2_000
    rounds: int = 5
    publishers: int = 4  # collectors
    partitions: int = 16
    url: str | None = None  # an existing NATS server; default: start nats-server -js


@dataclass
class Leg:  # one path through which the samples went
    label: str
    samples: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0  # this process (collectors + service side) plus nats-server
    bus_cpu_s: float = 0.0
    latency_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.samples / self.seconds if self.seconds else 0.0

    def p95(self) -> float:
        if not self.latency_ms:
            return 0.0
        return (
            statistics.quantiles(self.latency_ms, n=20)[-1]
            if len(self.latency_ms) > 1
            else self.latency_ms[0]
        )


class Arrivals:
    """The service side's consumer: counts samples and their latency since they were handed over."""

    def __init__(self, path: Leg) -> None:
        self.path = path
        self.count = 0

    async def consume_samples(self, samples: list[Sample]) -> None:
        now = time.time_ns()
        self.count += len(samples)
        # One latency per batch (its first sample): enough for a p95, cheap at 100k samples/s.
        self.path.latency_ms.append((now - samples[0].time_ns) / 1e6)

    async def consume_event(self, event: Event) -> None:
        return None


def workload(config: Config) -> list[list[list[Sample]]]:
    """Per publisher, per device, one poll's samples (time set when handed over)."""
    samples = estate(config.devices, 0)
    per_device: dict[str, list[Sample]] = {}
    for sample in samples:
        per_device.setdefault(sample.tags["device"], []).append(sample)
    devices = list(per_device.values())
    return [devices[n :: config.publishers] for n in range(config.publishers)]


def stamped(samples: list[Sample], device_id: int) -> list[Sample]:
    now = time.time_ns()
    return [
        Sample(s.measurement, s.tags, s.fields, time_ns=now, device_id=device_id, counters=s.counters)
        for s in samples
    ]


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def run_in_process(config: Config, devices: list[list[list[Sample]]]) -> Leg:
    path = Leg("in-process pipeline")
    arrivals = Arrivals(path)
    pipeline = Pipeline()
    pipeline.add_sample_consumer(arrivals)
    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in range(config.rounds):
        for publisher_devices in devices:
            for n, one in enumerate(publisher_devices):
                await pipeline.publish_samples(stamped(one, n))
    path.seconds = time.perf_counter() - t0
    path.cpu_s = time.process_time() - cpu0
    path.samples = arrivals.count
    return path


async def run_bus(config: Config, devices: list[list[list[Sample]]], url: str, bus_pid: int | None) -> Leg:
    path = Leg("NATS JetStream bus")
    arrivals = Arrivals(path)
    stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    bus = BusConfig(
        enabled=True, url=url, stream=stream, subject_prefix=stream.lower(), consumer=stream.lower(),
        partitions=config.partitions, flush_interval_s=0.05, fetch_batch=256,
    )  # fmt: skip
    service = Pipeline()
    service.add_sample_consumer(arrivals)
    consumer = BusConsumer(bus, service.publish_samples, service.publish_event, fetch_timeout_s=0.2)
    with tempfile.TemporaryDirectory(prefix="eams-bench-scale-") as folder:
        publishers = [
            BusPublisher(bus, Spool(Path(folder) / f"c{n}", fsync=False), source=f"c{n}")
            for n in range(config.publishers)
        ]
        await consumer.start()
        await consumer.wait_ready()
        for publisher in publishers:
            await publisher.start()
        expected = config.rounds * sum(len(s) for one in devices for s in one)
        bus0 = proc_cpu_s(bus_pid) if bus_pid else 0.0
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(config.rounds):
            for publisher, publisher_devices in zip(publishers, devices, strict=True):
                for n, one in enumerate(publisher_devices):
                    await publisher.consume_samples(stamped(one, n))
                await publisher.seal()
            await asyncio.sleep(0)
        while arrivals.count < expected:
            await asyncio.sleep(0.01)
        path.seconds = time.perf_counter() - t0
        path.cpu_s = time.process_time() - cpu0
        path.bus_cpu_s = (proc_cpu_s(bus_pid) - bus0) if bus_pid else 0.0
        path.samples = arrivals.count
        # Latency under a paced load (one poll of every device, then wait for it), not the
        # queueing of the back-to-back rounds above.
        path.latency_ms.clear()
        for _ in range(config.rounds):
            expected += sum(len(s) for one in devices for s in one)
            for publisher, publisher_devices in zip(publishers, devices, strict=True):
                for n, one in enumerate(publisher_devices):
                    await publisher.consume_samples(stamped(one, n))
                await publisher.seal()
            while arrivals.count < expected:
                await asyncio.sleep(0.005)
        for publisher in publishers:
            await publisher.stop(drain_timeout=1)
        await consumer.stop()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_nats(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("nats-server")
    if binary is None:
        raise SystemExit("nats-server is not installed (apt-get install nats-server), or give --url")
    port, monitor = free_port(), free_port()
    argv = [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor), "-sd", str(folder)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz", timeout=1):
                return process, f"nats://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("nats-server did not start within 20 s")


@dataclass
class Report:
    config: Config
    in_process: Leg
    bus: Leg
    samples_per_device: int

    def cores_per_10k(self, path: Leg, interval_s: float = 60.0) -> float:
        per_sample = (path.cpu_s + path.bus_cpu_s) / path.samples if path.samples else 0.0
        return per_sample * self.samples_per_device * 10_000 / interval_s

    def render(self) -> str:
        config = self.config
        lines = [
            f"{config.devices} devices x {self.samples_per_device} samples, {config.rounds} rounds, "
            f"{config.publishers} collectors, {config.partitions} partitions",
            f"{'path':<22} {'samples/s':>11} {'p95 ms':>8} {'CPU s':>7} {'bus CPU s':>9} "
            f"{'cores/10k dev @60s':>19}",
        ]
        for path in (self.in_process, self.bus):
            lines.append(
                f"{path.label:<22} {path.rate:>11,.0f} {path.p95():>8.1f} {path.cpu_s:>7.2f} "
                f"{path.bus_cpu_s:>9.2f} {self.cores_per_10k(path):>19.3f}"
            )
        if self.bus.rate:
            lines.append(f"in-process / bus throughput: {self.in_process.rate / self.bus.rate:.1f}x")
        return "\n".join(lines)


def run(config: Config, progress: Callable[[str], None] = print) -> Report:
    devices = workload(config)
    samples_per_device = len(devices[0][0])
    progress("in-process ...")
    in_process = asyncio.run(run_in_process(config, devices))
    with tempfile.TemporaryDirectory(prefix="eams-bench-nats-") as folder:
        process = None
        url = config.url
        if url is None:
            process, url = start_nats(Path(folder))
        try:
            progress(f"bus at {url} ...")
            bus = asyncio.run(run_bus(config, devices, url, process.pid if process else None))
        finally:
            if process is not None:
                process.terminate()
                process.wait(10)
    return Report(config, in_process, bus, samples_per_device)
