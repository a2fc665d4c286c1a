"""The poll path alone, for A/B comparisons of two trees on a loaded machine.

    python -m bench.snmp.poll_path PORT ROUNDS     # against one agent on 127.0.0.1:PORT

Polls 20 targets (one agent) once to choose profiles, plan and walk labels, then ROUNDS rounds of
20 sequential polls, and prints varbinds per CPU-second of those rounds. On a machine shared
with other work CPU time drifts with the load, so compare trees by instructions instead, which
valgrind counts the same whatever else runs: run it under `valgrind --tool=callgrind` with
ROUNDS=2 and ROUNDS=8 in each tree; (instructions at 8 - at 2) / (varbinds at 8 - at 2) is the
cost of one varbind on the steady path, start-up and first polls cancelling out.
"""

from __future__ import annotations

import asyncio
import sys
import time

from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet


async def run(port: int, rounds: int) -> None:
    poller = Poller(make_engine("snmpkit"), ProfileSet.load())
    endpoint = Endpoint("127.0.0.1", port, timeout_s=5)
    targets = [PollTarget(f"d{i}", endpoint, Credentials(community="public")) for i in range(20)]
    try:
        for target in targets:
            await poller.poll(target)
        varbinds = 0
        started = time.process_time()
        for _ in range(rounds):
            for target in targets:
                varbinds += (await poller.poll(target)).status.varbinds
        spent = time.process_time() - started
    finally:
        await poller.close()
    print(f"{varbinds / spent:.0f} varbinds/CPU-s ({varbinds} varbinds, {spent:.2f} CPU-s)")


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]), int(sys.argv[2])))
