"""What the agents leg's processes share: the devices, the bus, the round clock (`--agents`).

The parent writes one `WorkerSpec` per worker process as JSON; a worker reads it, builds its part,
prints `ready`, and waits for one line on stdin: the epoch second `t0` at which round 0 begins.
Round k is [t0 + k * interval, t0 + (k + 1) * interval); round 0 is the warm-up (profile choice,
label walks, first rates), rounds 1.. are measured. Every process keeps that clock, so a poll's
round is known from its sample's time wherever the sample ends up.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collectors.bus.config import BusConfig
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.poller import PollTarget

ROLE = "server"  # what net-snmp's snmpd on Linux is to the profiles and the rules


@dataclass(frozen=True)
class Device:
    name: str
    address: str
    port: int
    device_id: int
    site: str

    def target(self, interval_s: float) -> PollTarget:
        """The target as the inventory would give it (`collectors.snmp.targets.load_targets`)."""
        return PollTarget(
            self.name,
            Endpoint(self.address, self.port),
            Credentials(community="public"),
            device_id=self.device_id,
            tags={"role": ROLE, "site": self.site},
            interval_s=interval_s,
        )


@dataclass(frozen=True)
class WorkerSpec:
    name: str
    data_dir: str
    interval_s: float
    rounds: int  # warm-up included
    bus: dict[str, Any] = field(default_factory=dict)  # a BusConfig; empty: no bus (in-process)
    devices: list[Device] = field(default_factory=list)  # what this process polls

    def bus_config(self) -> BusConfig:
        return BusConfig.model_validate(self.bus)

    def targets(self) -> list[PollTarget]:
        return [device.target(self.interval_s) for device in self.devices]

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> WorkerSpec:
        document = json.loads(path.read_text(encoding="utf-8"))
        document["devices"] = [Device(**device) for device in document["devices"]]
        return cls(**document)


def round_of(epoch_s: float, t0: float, interval_s: float) -> int:
    return math.floor((epoch_s - t0) / interval_s)


def say(line: str) -> None:
    """One line to the parent (stdout carries only these; logs go to stderr)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def wait_for_start() -> float:
    """Say `ready`, read t0 from the parent, sleep until it."""
    say("ready")
    t0 = float((await asyncio.to_thread(sys.stdin.readline)).strip())
    await asyncio.sleep(max(0.0, t0 - time.time()))
    return t0


async def at_boundaries(t0: float, spec: WorkerSpec, snapshot: Any) -> list[Any]:
    """`snapshot()` at the end of every round (t0 + k * interval, k = 1 .. rounds)."""
    taken = []
    for k in range(1, spec.rounds + 1):
        await asyncio.sleep(max(0.0, t0 + k * spec.interval_s - time.time()))
        taken.append(snapshot())
    return taken


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
