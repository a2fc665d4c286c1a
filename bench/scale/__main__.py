"""./dev bench scale [--devices N] [--rounds R] [--collectors C] [--partitions P] [--url nats://...]

The same workload (poller-shaped samples, about 15 points per device per poll) two ways, in one run:
- in process: handed to the service's `Pipeline` (today's single-process default);
- over NATS JetStream: C collector-side `BusPublisher`s (spool, per-partition batches, PubAck)
  -> a `nats-server -js` this script starts (or --url) -> the service side's `BusConsumer`
  (durable pull consumer per partition, ack after the pipeline).

Prints samples/s, end-to-end latency p95 (handed over -> arrived at the service's pipeline), CPU
of this process and of nats-server, and the projected cores per 10,000 devices polled every 60 s.
Collectors, service and bus share this machine (2 cores): the figures are an upper bound of cost.
"""

from __future__ import annotations

import argparse
import sys

from bench.scale.run import Config, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench scale", description=__doc__.splitlines()[2])
    parser.add_argument("--devices", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--collectors", type=int, default=4)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--url", default=None, help="an existing NATS server (default: start one)")
    args = parser.parse_args(argv)
    for name in ("devices", "rounds", "collectors", "partitions"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.collectors > args.devices:
        parser.error("--collectors must not be more than --devices")
    report = run(
        Config(args.devices, args.rounds, args.collectors, args.partitions, args.url),
        progress=lambda message: print(message, file=sys.stderr),
    )
    print(report.render())


if __name__ == "__main__":
    main()
