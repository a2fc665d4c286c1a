"""Sign-in and session costs.

    ./dev bench auth                    # the production Argon2id cost (EAMS_AUTH_ARGON2_*)
    ./dev bench auth --time-cost 3 --memory-kib 65536    # try another cost

Prints the Argon2id parameters, sign-in p50/p95 and CPU per sign-in next to a bare argon2-cffi
verify, and the CPU one API request spends on its caller: session cookie vs bearer token.
"""

from __future__ import annotations

import argparse
import sys

from bench.auth.run import Config, run
from eams.auth.config import AuthConfig


def main(argv: list[str] | None = None) -> int:
    defaults = AuthConfig()
    parser = argparse.ArgumentParser(prog="./dev bench auth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-ins", type=int, default=40)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--time-cost", type=int, default=defaults.argon2_time_cost)
    parser.add_argument("--memory-kib", type=int, default=defaults.argon2_memory_kib)
    args = parser.parse_args(argv)
    if args.sign_ins < 2 or args.requests < 2:
        parser.error("--sign-ins and --requests must be at least 2")
    try:
        auth = AuthConfig(
            argon2_time_cost=args.time_cost, argon2_memory_kib=args.memory_kib, max_failures=1000
        )
    except ValueError as exc:
        parser.error(f"--time-cost/--memory-kib: {exc}")
    print(run(Config(args.sign_ins, args.requests, auth)).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
