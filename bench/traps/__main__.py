"""Trap receiver throughput and handling time, against a bare pysnmp receive as the peer.

    ./dev bench traps [--traps 300] [--senders 2] [--rounds 3]

Senders are net-snmp `snmptrap` processes in loops (one process per trap, as a shell loop would
do), on loopback. Two receivers are measured in turn on the same load:
  bare  - pysnmp decoding and our conversion only (handler does nothing)
  full  - the service's path: mapping, device lookup, SQLite history, pipeline publish
Printed: traps/s received (median of rounds) and the full path's per-trap handling time p50/p95.
Figures depend on the machine and on other load (the CI box is shared): compare the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from collectors.pipeline import Pipeline
from collectors.senders import SenderDirectory
from collectors.traps.config import TrapReceiverConfig
from collectors.traps.mappings import load_mappings
from collectors.traps.processor import TrapProcessor
from collectors.traps.receiver import ReceivedTrap, TrapReceiver
from collectors.traps.store import TrapStore
from inventory import migrate
from inventory.db import Database
from inventory.models import Device, DeviceRole

COMMUNITY = "bench"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
ENV = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent-eams-mibs", "SNMPCONFPATH": "/nonexistent"}


async def send_loop(port: int, count: int) -> None:
    for index in range(count):
        process = await asyncio.create_subprocess_exec(
            "snmptrap", "-v2c", "-c", COMMUNITY, f"127.0.0.1:{port}", "", LINK_DOWN,
            "1.3.6.1.2.1.2.2.1.1.3", "i", str(index % 48 + 1),
            env=ENV, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await process.wait()


async def one_round(
    handler: Callable[[ReceivedTrap], Awaitable[None]], done: Callable[[], int], traps: int, senders: int
) -> float:
    receiver = TrapReceiver(TrapReceiverConfig(host="127.0.0.1", port=0, communities=(COMMUNITY,)), handler)
    await receiver.start()
    port = receiver.address[1]
    start_count = done()
    started = time.perf_counter()
    per_sender = traps // senders
    await asyncio.gather(*(send_loop(port, per_sender) for _ in range(senders)))
    deadline = time.monotonic() + 30
    while done() - start_count < per_sender * senders and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    received = done() - start_count
    await receiver.stop()
    return received / elapsed


async def main(traps: int, senders: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        migrate.upgrade(db.engine)
        with db.session() as session:
            session.add(Device(name="sw-bench", role=DeviceRole.switch, management_ip="127.0.0.1"))

        bare_count = 0

        async def bare(_trap: ReceivedTrap) -> None:
            nonlocal bare_count
            bare_count += 1

        processor = TrapProcessor(load_mappings(), Pipeline(), SenderDirectory(db), TrapStore(db))
        timings: list[float] = []

        async def full(trap: ReceivedTrap) -> None:
            began = time.perf_counter()
            await processor(trap)
            timings.append(time.perf_counter() - began)

        bare_rates, full_rates = [], []
        for _ in range(rounds):
            bare_rates.append(await one_round(bare, lambda: bare_count, traps, senders))
            full_rates.append(await one_round(full, lambda: len(timings), traps, senders))
        db.dispose()

    bare_median, full_median = statistics.median(bare_rates), statistics.median(full_rates)
    cuts = statistics.quantiles(timings, n=20)
    print(f"traps per round: {traps} from {senders} snmptrap loops, {rounds} rounds")
    print(f"bare pysnmp receive : {bare_median:8.1f} traps/s (median)")
    ratio = full_median / bare_median
    print(f"full eams path      : {full_median:8.1f} traps/s (median)  ratio full/bare = {ratio:.2f}")
    print(
        f"full path handling  : p50 {statistics.median(timings) * 1000:.2f} ms, p95 {cuts[18] * 1000:.2f} ms "
        f"per trap (mapping, device, SQLite insert, publish); mapped {processor.counts['mapped']}"
    )
    print("(both rates are bounded by starting one snmptrap process per trap; the handling time is")
    print(" the receiver's own cost: one worker sustains about 1/p50 traps per second)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--traps", type=int, default=300)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.traps, arguments.senders, arguments.rounds))
