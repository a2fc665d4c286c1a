"""./dev bench sink [--devices N] [--repeats R]

Prints medians (and p95 where it helps) of:
- line-protocol encoding, points/s, ours (warm caches as in steady polling, and cold) against
  influxdb-client's own `Point` encoding of the same samples, in the same run;
- the spool: append throughput with fsync per batch (the default) and without, and replay
  (peek + ack) throughput, in batches/s and MB/s.

The samples are shaped like the SNMP poller's: per device one `interface` point per port with
64-bit counters, status and ifAlias strings, plus cpu, memory and system points; about 90
varbinds per device.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from influxdb_client import Point

from collectors.samples import Sample
from collectors.sinks.lineprotocol import LineEncoder
from collectors.sinks.spool import Spool

PORTS_PER_DEVICE = 12  # 12 ports x 6 fields + cpu/memory/system scalars ~ 90 varbinds


def estate(devices: int, time_ns: int) -> list[Sample]:
    rng = random.Random(42)
    samples: list[Sample] = []
    for d in range(devices):
        device = {
            "device": f"sw-{d:05d}",
            "site": f"Trung tâm dữ liệu {d % 7}",
            "agency": f"Sở {d % 20}",
            "role": "switch",
        }
        for port in range(PORTS_PER_DEVICE):
            samples.append(
                Sample(
                    "interface",
                    {
                        **device,
                        "ifName": f"GigabitEthernet1/0/{port + 1}",
                        "ifAlias": f"Uplink tầng {port}, VLAN={d}",
                    },
                    {
                        "ifHCInOctets": rng.getrandbits(48),
                        "ifHCOutOctets": rng.getrandbits(48),
                        "ifInErrors": rng.randrange(100),
                        "ifOutDiscards": rng.randrange(100),
                        "ifOperStatus": 1,
                        "ifHighSpeed": 1000,
                    },
                    time_ns=time_ns,
                )
            )
        samples.append(
            Sample("cpu", device, {"usage": rng.random() * 100, "load5": rng.random()}, time_ns=time_ns)
        )
        samples.append(
            Sample(
                "memory",
                device,
                {"used": rng.getrandbits(32), "free": rng.getrandbits(32), "utilisation": rng.random() * 100},
                time_ns=time_ns,
            )
        )
        samples.append(
            Sample(
                "system",
                device,
                {"uptime": rng.getrandbits(31), "sysName": device["device"]},
                time_ns=time_ns,
            )
        )
    return samples


def influxdb_client_encode(samples: list[Sample]) -> bytes:
    """What using influxdb-client's data model costs: one Point per sample, then its line protocol."""
    lines = []
    for sample in samples:
        point = Point(sample.measurement)
        for key, value in sample.tags.items():
            point.tag(key, value)
        for key, field_value in sample.fields.items():
            point.field(key, field_value)
        point.time(sample.time_ns)
        lines.append(point.to_line_protocol())
    return "\n".join(lines).encode()


def timings(run: Callable[[], object], repeats: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds per run; CPU seconds per run appended to `cpu` (steadier under contention)."""
    result = []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        result.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_encoding(devices: int, repeats: int) -> None:
    samples = estate(devices, time.time_ns())
    points = len(samples)
    fields = sum(len(s.fields) for s in samples)
    warm = LineEncoder()
    warm.encode_batch(samples)  # a first poll fills the caches, as in steady polling
    cpu: dict[str, list[float]] = {"warm": [], "cold": [], "theirs": []}
    ours_warm = timings(lambda: warm.encode_batch(samples), repeats, cpu["warm"])
    ours_cold = timings(lambda: LineEncoder().encode_batch(samples), repeats, cpu["cold"])
    theirs = timings(lambda: influxdb_client_encode(samples), repeats, cpu["theirs"])
    ours_bytes = warm.encode_batch(samples)
    theirs_bytes = influxdb_client_encode(samples)

    print(
        f"encoding {points:,} points ({fields:,} fields, {devices:,} devices, {len(ours_bytes) / 1e6:.1f} MB)"
    )
    rows = [
        ("eams LineEncoder, warm", ours_warm, cpu["warm"]),
        ("eams LineEncoder, cold", ours_cold, cpu["cold"]),
        ("influxdb-client Point", theirs, cpu["theirs"]),
    ]
    for name, values, cpu_values in rows:
        median, cpu_median = statistics.median(values), statistics.median(cpu_values)
        print(
            f"  {name:<24} median {points / median:>10,.0f} points/s"
            f" {points / cpu_median:>10,.0f} points/CPU-s   p95 time {p95(values) * 1e3:7.1f} ms"
        )
    ratio = statistics.median(theirs) / statistics.median(ours_warm)
    cpu_ratio = statistics.median(cpu["theirs"]) / statistics.median(cpu["warm"])
    print(f"  ratio eams (warm) / influxdb-client: {ratio:.1f}x faster (wall), {cpu_ratio:.1f}x (CPU)")
    per_round = 5000 / devices * statistics.median(cpu["warm"])
    print(f"  projected for 5,000 devices x ~90 varbinds: {per_round:.2f} CPU-s per round")
    print(f"  output size: eams {len(ours_bytes):,} bytes, influxdb-client {len(theirs_bytes):,} bytes")


def bench_spool(batches: int, batch_bytes: int, repeats: int) -> None:
    payload = (
        b"interface,device=sw-00001,ifName=Gi1/0/1 ifHCInOctets=123456789i 1700000000000000000\n" * 100_000
    )[:batch_bytes]
    print(f"spool: {batches} batches of {batch_bytes / 1024:.0f} KiB per run, {repeats} runs")
    for fsync in (True, False):
        append_times, replay_times = [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="eams-bench-spool-") as directory:
                spool = Spool(Path(directory), max_bytes=batches * batch_bytes * 2, fsync=fsync)
                started = time.perf_counter()
                for _ in range(batches):
                    spool.append(payload)
                append_times.append(time.perf_counter() - started)
                spool.close()
                reopened = Spool(Path(directory), max_bytes=batches * batch_bytes * 2, fsync=fsync)
                started = time.perf_counter()
                while (record := reopened.peek()) is not None:
                    reopened.ack(record)
                replay_times.append(time.perf_counter() - started)
                reopened.close()
        label = "fsync per batch" if fsync else "no fsync      "
        for what, values in (("append", append_times), ("replay", replay_times)):
            median = statistics.median(values)
            print(
                f"  {what} ({label}) median {batches / median:>9,.0f} batches/s "
                f"{batches * batch_bytes / median / 1e6:>8,.1f} MB/s   p95 {p95(values) * 1e3:7.1f} ms/run"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench sink", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500, help="devices per encoding run (default 500)")
    parser.add_argument("--repeats", type=int, default=7, help="runs per figure; medians are printed")
    parser.add_argument("--spool-batches", type=int, default=200)
    parser.add_argument("--batch-kib", type=int, default=256)
    args = parser.parse_args(argv)
    print("(figures on a shared machine: other work may be running; compare ratios, not absolutes)")
    bench_encoding(args.devices, args.repeats)
    bench_spool(args.spool_batches, args.batch_kib * 1024, args.repeats)


if __name__ == "__main__":
    main()
