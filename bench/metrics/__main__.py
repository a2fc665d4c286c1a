"""./dev bench metrics [--devices 5000] [--rounds 12] [--history-devices 20] [--influx]

The embedded metrics store (collectors/sinks/store) on a 5,000-device estate, ~90 fields each
(8 interfaces x 11 fields, uptime, CPU), one round a minute. Prints:
- the CPU of writing one round to the store (queue, ingest, flush, and the sealing and
  maintenance the writer's thread does between flushes, averaged over the rounds) beside the
  same round without the store: its samples built and encoded to line protocol for the InfluxDB
  sink, measured in the same run; and beside the SNMP round (`./dev bench snmp`, --snmp-round-cpu);
- bytes on disk per stored value, and the process's peak memory;
- query p95 through the query service (what /api/v1/metrics answers): a device page (16 series,
  24 h, 300 steps, counters as rates) and a top-10 of interfaces over all devices (15 min);
- with --influx, the same queries against InfluxDB 1.6 (`influxd`) loaded with the same points
  through its /write, in the same run.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collectors.samples import Sample
from collectors.sinks.lineprotocol import LineEncoder
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.maintenance import maintain
from collectors.sinks.store.reader import StoreReader
from collectors.sinks.store.sink import STORE_FILE
from collectors.sinks.store.writer import BLOCK_NS, StoreWriter
from eams.metrics import query
from eams.metrics.backends.influx import InfluxBackend
from eams.metrics.backends.store import StoreBackend
from eams.metrics.service import MetricsService
from eams.metrics.wiring import measurement_schema

NS = 1_000_000_000
INTERVAL_S = 60
PORTS = 8
SNMP_ROUND_CPU_S = 10.2  # README: 5,000 devices x ~99 varbinds at 48,406 varbinds per CPU-second
TARGETS = {"write": 0.20, "page": 0.100, "top": 0.250}


def device_name(d: int) -> str:
    return f"sw-{d:05d}"


def poll(d: int, i: int, at_ns: int) -> list[Sample]:
    """Poll number `i` of device `d`: counters that grow with the poll, gauges that move a little."""
    tags = {"device": device_name(d), "role": "switch", "site": f"DC {d % 7}", "agency": f"Sở {d % 20}"}
    samples = [
        Sample("snmp_system", tags, {"uptime_s": float(86_400 + i * INTERVAL_S)}, time_ns=at_ns),
        Sample(
            "host_cpu", {**tags, "hrDeviceIndex": "196608"}, {"load_percent": (d + i) % 100}, time_ns=at_ns
        ),
    ]
    for port in range(1, PORTS + 1):
        speed = 1000 * (1 + (d + port) % 10)  # so that ports differ in traffic and in rank
        rate = speed * 10 * port
        samples.append(
            Sample(
                "interface",
                {**tags, "ifIndex": str(port), "ifName": f"Gi1/0/{port}", "ifDescr": f"Gi1/0/{port}"},
                {
                    "in_octets": rate * INTERVAL_S * i,
                    "out_octets": rate // 2 * INTERVAL_S * i,
                    "in_ucast_pkts": rate // 800 * INTERVAL_S * i,
                    "out_ucast_pkts": rate // 1600 * INTERVAL_S * i,
                    "in_errors": i // 10,
                    "out_errors": 0,
                    "in_discards": i // 30,
                    "out_discards": 0,
                    "speed_mbps": speed,
                    "admin_status": "up",
                    "oper_status": "up",
                },
                time_ns=at_ns,
                counters=frozenset(
                    {"in_octets", "out_octets", "in_ucast_pkts", "out_ucast_pkts", "in_errors",
                     "out_errors", "in_discards", "out_discards"}
                ),
            )
        )  # fmt: skip
    return samples


def round_of(devices: int, i: int, at_ns: int) -> list[Sample]:
    return [s for d in range(devices) for s in poll(d, i, at_ns)]


def values_in(samples: list[Sample]) -> int:
    return sum(len(s.fields) for s in samples)


@dataclass
class Estate:
    devices: int
    rounds: int
    history_devices: int
    history_hours: int
    now_ns: int

    def round_times(self) -> list[int]:
        first = self.now_ns - self.rounds * INTERVAL_S * NS
        return [first + i * INTERVAL_S * NS for i in range(self.rounds)]

    def history(self) -> Iterator[list[Sample]]:
        """Older polls of the first devices (a device page looks 24 h back), a batch per hour."""
        first_round = self.round_times()[0]
        polls = self.history_hours * 3600 // INTERVAL_S
        start = first_round - polls * INTERVAL_S * NS
        for hour in range(self.history_hours):
            batch: list[Sample] = []
            for k in range(hour * 60, min(polls, (hour + 1) * 60)):
                at = start + k * INTERVAL_S * NS
                for d in range(self.history_devices):
                    batch.extend(poll(d, k - polls, at))  # counters end where the rounds start
            yield batch


def cpu_of(run: Callable[[], object]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def timed(run: Callable[[], object], repeats: int, cpu: list[float]) -> list[float]:
    """Wall seconds per run; CPU seconds per run appended to `cpu` (what contention does not inflate)."""
    out = []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        out.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return out


def write_store(
    path: Path, estate: Estate, config: MetricsConfig
) -> tuple[StoreWriter, list[float], list[float], int]:
    """(the writer, still open as in the running service; store CPU per round, the round without
    the store per round, values written)."""
    schema = measurement_schema()
    writer = StoreWriter(path, config, schema)
    for batch in estate.history():
        writer.ingest(batch)
        writer.flush()
    for _ in range(10_000):  # seal and roll the history, as the writer would have done by now
        done = maintain(writer, estate.now_ns - estate.rounds * INTERVAL_S * NS)
        if not (done.sealed or done.hours or done.day_steps):
            break
    encoder = LineEncoder()
    with_store: list[float] = []
    without: list[float] = []
    written = 0
    for i, at in enumerate(estate.round_times()):
        built: list[list[Sample]] = []
        started = time.process_time()
        built.append(round_of(estate.devices, i, at))
        encoder.encode_batch(built[0])  # the InfluxDB sink's own work on the round
        without.append(time.process_time() - started)
        samples = built[0]
        written += values_in(samples)

        def store_round(samples: list[Sample] = samples, at: int = at) -> None:
            writer.ingest(samples)
            writer.flush()
            maintain(writer, at + INTERVAL_S * NS - 1)  # the ticks between this poll and the next

        with_store.append(cpu_of(store_round))
    return writer, with_store, without, written


def sealed_share(path: Path, estate: Estate, per_round: int, history_values: int) -> tuple[int, int]:
    """(bytes of the sealed raw blobs, values in them): what a point costs once its block is sealed."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        (size,) = connection.execute("SELECT coalesce(sum(length(data)), 0) FROM raw").fetchone()
        (through,) = connection.execute("SELECT value FROM meta WHERE key = 'sealed_through'").fetchone()
    boundary = (int(through) + 1) * BLOCK_NS
    rounds = sum(1 for at in estate.round_times() if at < boundary)
    return int(size), history_values + rounds * per_round


def page_request(device: str, now_ns: int, config: MetricsConfig) -> query.SeriesRequest:
    interface = measurement_schema()["interface"]
    window = query.time_range(config, since="24h", start=None, end=None, step=None, steps=300, now_ns=now_ns)
    fields = [interface.fields["in_octets"], interface.fields["out_octets"]]
    return query.SeriesRequest(interface, fields, [query.Device(1, device)], {}, window)


def top_request() -> query.TopRequest:
    interface = measurement_schema()["interface"]
    return query.TopRequest(
        interface,
        interface.fields["in_octets"],
        None,
        900.0,
        10,
        identify=lambda names: {n: i for i, n in enumerate(names, 1)},
    )


def bench_queries(
    service: MetricsService, estate: Estate, config: MetricsConfig, repeats: int
) -> dict[str, list[float]]:
    pages = [
        page_request(device_name(d % max(1, estate.history_devices)), estate.now_ns, config)
        for d in range(repeats)
    ]
    answer = service.series(pages[0])
    series = len(answer.series)
    assert series == 2 * PORTS, series
    top = service.top(top_request())
    assert len(top.entries) == 10, top
    it = iter(pages)
    page_cpu: list[float] = []
    top_cpu: list[float] = []
    page = timed(lambda: service.series(next(it)), repeats, page_cpu)
    top = timed(lambda: service.top(top_request()), repeats, top_cpu)
    return {"page": page, "top": top, "page_cpu": page_cpu, "top_cpu": top_cpu}


def load_influx(url: str, estate: Estate) -> None:
    from tests.support.tsdb import http

    encoder = LineEncoder()
    batches = list(estate.history()) + [
        round_of(estate.devices, i, at) for i, at in enumerate(estate.round_times())
    ]
    for batch in batches:
        for start in range(0, len(batch), 5000):
            body = encoder.encode_batch(batch[start : start + 5000])
            status, answer = http("POST", f"{url}/write?db=eams&precision=ns", body, timeout=300)
            if status != 204:
                raise SystemExit(f"InfluxDB refused a write: {status} {answer[:200]!r}")


def print_queries(rows: list[tuple[str, dict[str, list[float]]]], repeats: int, devices: int) -> None:
    print(
        f"\nqueries, ms (wall p50 / p95, CPU p50; of {repeats})   device page 16 series 24 h 300 steps   "
        f"top-10 of {devices * PORTS:,} interfaces"
    )
    for name, found in rows:
        page, top = found["page"], found["top"]
        page_cpu, top_cpu = statistics.median(found["page_cpu"]), statistics.median(found["top_cpu"])
        print(
            f"  {name:<14} {statistics.median(page) * 1e3:8.1f} / {p95(page) * 1e3:7.1f}, "
            f"{page_cpu * 1e3:6.1f}"
            f"{'':10}{statistics.median(top) * 1e3:8.1f} / {p95(top) * 1e3:7.1f}, {top_cpu * 1e3:6.1f}"
        )
    page95, top95 = p95(rows[0][1]["page"]), p95(rows[0][1]["top"])
    print(
        f"  targets: page p95 < {TARGETS['page'] * 1e3:.0f} ms ({verdict(page95 < TARGETS['page'])}), "
        f"top-10 p95 < {TARGETS['top'] * 1e3:.0f} ms ({verdict(top95 < TARGETS['top'])})"
    )
    if len(rows) > 1:
        influx = rows[1][1]
        print(
            f"  ratio InfluxDB / store p95: page {p95(influx['page']) / page95:.2f}x, "
            f"top-10 {p95(influx['top']) / top95:.2f}x"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench metrics", description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=12, help="rounds a minute apart (>= 7 seals a block)")
    parser.add_argument("--history-devices", type=int, default=20, help="devices with 24 h of history")
    parser.add_argument("--history-hours", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=40, help="queries of each kind")
    parser.add_argument("--snmp-round-cpu", type=float, default=SNMP_ROUND_CPU_S)
    parser.add_argument("--influx", action="store_true", help="also InfluxDB 1.6 (influxd) in this run")
    args = parser.parse_args(argv)
    for name in ("devices", "rounds", "history_devices", "history_hours", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.history_devices > args.devices:
        parser.error("--history-devices cannot be more than --devices")

    config = MetricsConfig()
    now_ns = time.time_ns() // (INTERVAL_S * NS) * INTERVAL_S * NS
    estate = Estate(args.devices, args.rounds, args.history_devices, args.history_hours, now_ns)
    per_round = values_in(round_of(1, 0, now_ns)) * args.devices
    print(
        f"metrics store: {args.devices:,} devices x {per_round // args.devices} values a round, "
        f"{args.rounds} rounds a minute apart; {args.history_devices} devices with "
        f"{args.history_hours} h of history before them"
    )
    with tempfile.TemporaryDirectory(prefix="eams-bench-metrics-") as folder:
        path = Path(folder) / STORE_FILE
        writer, with_store, without, written = write_store(path, estate, config)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        history_values = (
            args.history_devices * args.history_hours * 3600 // INTERVAL_S * per_round // args.devices
        )
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
        store_cpu, round_cpu = statistics.mean(with_store), statistics.mean(without)
        print(f"\nwrite, CPU-s per round (mean of {args.rounds}, sealing included)")
        print(f"  round without the store (samples + line protocol)  {round_cpu:8.3f}")
        print(f"  the store's write                                  {store_cpu:8.3f}  "
              f"(+{store_cpu / round_cpu:.0%} of that)")  # fmt: skip
        snmp_share = store_cpu / args.snmp_round_cpu
        print(
            f"  vs a whole SNMP round ({args.snmp_round_cpu:.1f} CPU-s, ./dev bench snmp)      "
            f"+{snmp_share:.1%}   target < {TARGETS['write']:.0%}: {verdict(snmp_share < TARGETS['write'])}"
        )
        sealed_bytes, sealed_values = sealed_share(path, estate, per_round, history_values)
        print(f"  bytes on disk per value, sealed blocks   {sealed_bytes / sealed_values:8.2f}  "
              f"({sealed_values:,} values in {sealed_bytes / 1e6:.1f} MB)")  # fmt: skip
        print(f"  bytes on disk per value, whole folder    {size / (written + history_values):8.2f}  "
              f"({size / 1e6:.1f} MB: the unsealed minutes point by point, block stats, WAL)")  # fmt: skip
        print(f"  peak memory of this process     {peak_mib:8.0f} MiB")

        schema = measurement_schema()
        # As /api/v1/metrics reads it in the service: the file, and the writer's in-memory head.
        store = StoreBackend(StoreReader(path, head=writer.head), config.raw_retention)
        rows = [
            (
                "store",
                bench_queries(MetricsService(schema, config, store=store), estate, config, args.repeats),
            )
        ]
        print_queries(rows, args.repeats, args.devices)
        if args.influx:
            from tests.support.tsdb import influxdb1

            with influxdb1(Path(folder) / "influxd") as server:
                server.query("CREATE DATABASE eams")
                loaded = time.perf_counter()
                load_influx(server.url, estate)
                print(f"\n  InfluxDB 1.6 loaded with the same values in {time.perf_counter() - loaded:.0f} s")
                backend = InfluxBackend(server.url, bucket="eams", schema=schema, timeout=300)
                influx_config = MetricsConfig(engine="influx")
                service = MetricsService(schema, influx_config, influx=backend)
                rows.append(("InfluxDB 1.6", bench_queries(service, estate, influx_config, args.repeats)))
                backend.close()
        writer.close()
        if len(rows) > 1:
            print_queries(rows, args.repeats, args.devices)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
