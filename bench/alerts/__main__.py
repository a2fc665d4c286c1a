"""./dev bench alerts: 10,000 active series per second through the alert engine with 1,000 rules.

Prints the p50/p95 latency from a sample's arrival to its notification being handed to the
channel, whether the engine keeps up on one core (a round of 10,000 samples processed within its
second), and evaluation throughput against a naive evaluator (every sample against every rule)
measured in the same run. Everything runs in one process on one core (asyncio, no threads).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.alerts.naive import naive_evaluate
from bench.alerts.workload import SERIES_PER_DEVICE, build_estate, device_samples, make_rules
from eams.alerts.dispatch.config import RoutingConfig
from eams.alerts.engine import AlertEngine, EngineOptions, rule_row
from eams.alerts.models import AlertRouting
from eams.alerts.notify.base import Notification
from eams.services import Services
from eams.settings import Settings
from inventory import migrate


class RecordingChannel:
    """Stands where e-mail or a webhook would: records when each notification was handed over."""

    kind = "recording"

    def __init__(self, engine: AlertEngine) -> None:
        self.engine = engine
        self.latencies_ms: list[float] = []
        self.alerts = 0

    async def send(self, notification: Notification) -> None:
        origin = self.engine.origin_by_key.pop(notification.key, 0)
        if origin:
            self.latencies_ms.append((time.perf_counter_ns() - origin) / 1e6)
        self.alerts += len(notification.payload.get("alerts", []))

    async def close(self) -> None:
        return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(devices: int, rules: int, rounds: int, flips: int, seed: int) -> None:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="eams-bench-alerts-"))
    services = Services.from_settings(Settings(data_dir=folder, secret_key="bench"))
    migrate.upgrade(services.db.engine)
    estate = build_estate(services.db, devices)
    specs = make_rules(rules, estate, rng)
    routing = RoutingConfig.model_validate(
        {
            "receivers": [{"name": "bench", "log": {}}],
            "route": {
                "receiver": "bench",
                "group_wait": "0s",
                "group_interval": "0s",
                "repeat_interval": "1h",
            },
        }
    )
    with services.db.session() as session:
        session.add_all(rule_row(spec) for spec in specs)
        document, _ = routing.split_secrets()
        session.add(AlertRouting(config=document))

    engine = AlertEngine(
        services.db,
        services.secret_box,
        options=EngineOptions(rule_paths=(), track_latency=True, tick_seconds=0.2),
    )
    await engine.start()
    channel = RecordingChannel(engine)
    engine.channels["bench"] = channel
    series = devices * SERIES_PER_DEVICE
    rule_count = len(engine.evaluator.index.rules)
    print(f"estate: {devices} devices, {series} active series, {rule_count} rules (SQLite, one core)")

    # Paced: every second, one poll of every series (devices publish their 20 samples together).
    all_series = [(d, s) for d in estate.device_ids for s in range(SERIES_PER_DEVICE)]
    hot: set[tuple[int, int]] = set()
    round_wall: list[float] = []
    round_cpu: list[float] = []
    evaluations_before = engine.evaluator.evaluations
    for _ in range(rounds):
        hot = set(rng.sample(all_series, flips))  # these cross thresholds; last round's recover
        started, cpu_started = time.perf_counter(), time.process_time()
        for device_id in estate.device_ids:
            await engine.consume_samples(device_samples(device_id, hot))
            await asyncio.sleep(0)  # let the delivery loop hand notifications over meanwhile
        round_wall.append(time.perf_counter() - started)
        round_cpu.append(time.process_time() - cpu_started)
        await asyncio.sleep(max(0.0, 1.0 - round_wall[-1]))
    deadline = time.monotonic() + 5
    while engine.origin_by_key and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await engine.stop()
    evaluations = (engine.evaluator.evaluations - evaluations_before) / rounds

    # Unpaced throughput of the evaluation stage, and the naive peer on the same samples.
    quiet = [s for d in estate.device_ids for s in device_samples(d, set())]
    indexed_rates = []
    for _ in range(3):
        started = time.process_time()
        engine.evaluate(quiet, engine.clock.now())
        indexed_rates.append(len(quiet) / (time.process_time() - started))
    subset = quiet[: max(SERIES_PER_DEVICE, len(quiet) // 10)]
    naive_rates = []
    for _ in range(3):
        started = time.process_time()
        naive_evaluate(engine.evaluator.index.rules, subset, engine.directory)
        naive_rates.append(len(subset) / (time.process_time() - started))

    # One core keeps up when a second's worth of samples needs less than a second of its CPU;
    # wall time is printed too, but on a shared machine it includes other processes' turns.
    keeps_up = percentile(round_cpu, 0.95) < 1.0
    print(f"rounds: {rounds} x {series} samples, {flips} series crossing a threshold per round")
    print(f"rule evaluations per sample (index): {evaluations / series:.1f} of {rule_count} rules")
    print(
        f"one round of {series} samples: CPU median {statistics.median(round_cpu) * 1000:.0f} ms, "
        f"p95 {percentile(round_cpu, 0.95) * 1000:.0f} ms; "
        f"wall median {statistics.median(round_wall) * 1000:.0f} ms, "
        f"p95 {percentile(round_wall, 0.95) * 1000:.0f} ms"
    )
    verdict = "yes" if keeps_up else "NO"
    print(f"keeps up with {series} series/s on one core (CPU per second of samples < 1 s): {verdict}")
    lat = channel.latencies_ms
    print(
        f"notifications handed to the channel: {len(lat)} (alerts in them: {channel.alerts}); latency "
        f"sample arrival -> channel: p50 {percentile(lat, 0.5):.1f} ms, p95 {percentile(lat, 0.95):.1f} ms, "
        f"max {max(lat, default=float('nan')):.1f} ms (target p95 < 1000 ms)"
    )
    indexed, naive = statistics.median(indexed_rates), statistics.median(naive_rates)
    print(f"evaluation throughput, median of 3: indexed engine {indexed:,.0f} samples/CPU-s")
    print(f"  naive evaluator (every rule per sample, no state): {naive:,.0f} samples/CPU-s")
    print(f"ratio indexed / naive: {indexed / naive:.1f}x")
    services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--devices", type=int, default=500, help="20 series each (default 500: 10,000 series)"
    )
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=8, help="seconds of paced load")
    parser.add_argument("--flips", type=int, default=20, help="series crossing a threshold per round")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args.devices, args.rules, args.rounds, args.flips, args.seed))


if __name__ == "__main__":
    main()
