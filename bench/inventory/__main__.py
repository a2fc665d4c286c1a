"""Inventory API latency with a province-sized inventory.

Fills 100,000 devices across 1,000 agencies (bulk inserts), starts `eams serve` as a real uvicorn
process on loopback, and measures through HTTP (httpx, keep-alive) the p50/p95 of
  (a) a filtered, paged device list, and
  (b) a free-text `q` search without diacritics,
next to the same queries' SQL run straight on the database: the floor the API cannot beat.

    ./dev bench inventory                       # SQLite file in a temporary folder
    ./dev bench inventory --devices 5000        # quick
    ./dev bench inventory --database-url postgresql://postgres@127.0.0.1:5432/test
      (a scratch database is created on that server and dropped afterwards)
"""

from __future__ import annotations

import argparse
import sys

from bench.inventory.run import Config, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench inventory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query kind")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to use instead of SQLite")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.agencies < 2 or args.requests < 1:
        parser.error("--devices and --requests must be at least 1, --agencies at least 2")
    report = run(Config(args.devices, args.agencies, args.requests, args.database_url))
    print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
