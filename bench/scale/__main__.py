"""./dev bench scale [--devices N] [--rounds R] [--collectors C] [--partitions P] [--url nats://...]
./dev bench scale --agents [--devices 20000] [--collectors 4] [--interval 150] [--rounds 3]

Two legs; each prints samples/s, end-to-end latency p95, CPU, and the projected cores per 10,000
devices polled every 60 s. Collectors, service and bus share this machine (2 cores): the figures
are an upper bound of cost.

Synthetic (default): the same poller-shaped samples (about 15 points per device per poll), from
one process, two ways: handed to the service's `Pipeline` (today's single-process default), and
through C collector-side `BusPublisher`s (spool, per-partition batches, PubAck) -> a
`nats-server -js` this script starts (or --url) -> the service side's `BusConsumer` (durable pull
consumer per partition, ack after the pipeline). Back-to-back rounds: the bus path's capacity and
its CPU per sample; latency from paced rounds.

--agents: real SNMP polling in real processes, paced at --interval (default 150 s, long enough
for 20,000 devices on 2 shared cores). snmpd answers on N loopback addresses (127.0.x.y, one per
device, --per-agent addresses per snmpd process); C collector processes each poll N/C devices with
what `eams collect --bus` runs (RemoteCollector: PollScheduler, default engine, BusPublisher);
a `nats-server -js` (or --url); the service side in its own process, built with the service's
component factories: bus consumer -> InfluxDB sink (no InfluxDB: its durable spool) + the alert
engine with the shipped rules on a scratch SQLite inventory of the N devices. Then the same
devices polled by one process into the same sink and engine without the bus (skip it with
--no-in-process). One warm-up round, then R measured rounds; prints medians over them of
samples/s through the bus, latency from poll to the service's pipeline (p50, p95), polls made and
missed, CPU-s per round of the collectors, nats-server and the service (and of the agents, apart:
they are not ours), the bus path / in-process CPU ratio, and the projected cores per 10,000 devices
at a 60 s interval.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys

from bench.scale.agents_leg import AgentsConfig, run_agents
from bench.scale.run import Config, run

SNMPD = "/usr/sbin/snmpd"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="./dev bench scale", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", action="store_true", help="real snmpd agents and collector processes")
    parser.add_argument("--devices", type=int, default=None, help="default 2,000; --agents 20,000")
    parser.add_argument("--rounds", type=int, default=None, help="default 5; --agents 3 measured")
    parser.add_argument("--collectors", type=int, default=4)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--url", default=None, help="an existing NATS server (default: start one)")
    parser.add_argument("--interval", type=float, default=150.0, help="--agents: seconds per round")
    parser.add_argument("--per-agent", type=int, default=1_000, help="--agents: addresses per snmpd")
    parser.add_argument("--no-in-process", action="store_true", help="--agents: skip the in-process leg")
    args = parser.parse_args(argv)
    if args.devices is None:
        args.devices = 20_000 if args.agents else 2_000
    if args.rounds is None:
        args.rounds = 3 if args.agents else 5
    for name in ("devices", "rounds", "collectors", "partitions", "per_agent"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.collectors > args.devices:
        parser.error("--collectors must not be more than --devices")
    if args.interval < 1:
        parser.error("--interval must be at least 1 second")
    if args.agents and args.devices > 60_000:
        parser.error("--devices must be at most 60,000 with --agents (one 127.0.x.y address each)")
    missing = not os.path.exists(SNMPD) or not (shutil.which("nats-server") or args.url)
    if args.agents and missing:
        parser.error(f"--agents needs {SNMPD} (apt-get install snmpd) and nats-server (or --url)")
    progress = lambda message: print(message, file=sys.stderr)  # noqa: E731
    if args.agents:
        # Stopped (timeout, kill): unwind, so that the workers, nats-server and snmpd are stopped too.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
        agents = AgentsConfig(
            args.devices, args.collectors, args.interval, args.rounds, args.partitions, args.per_agent,
            args.url, not args.no_in_process,
        )  # fmt: skip
        print(run_agents(agents, progress=progress).render())
        return
    config = Config(args.devices, args.rounds, args.collectors, args.partitions, args.url)
    print(run(config, progress=progress).render())


if __name__ == "__main__":
    main()
