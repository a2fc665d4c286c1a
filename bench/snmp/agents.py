"""Simulated devices for the benchmarks: net-snmp snmpd listening on many 127.0.x.y addresses.

Each loopback address is one "device" to the pollers. One snmpd process answers on up to
`per_process` of them, given as listening addresses on its command line (a config file's
`agentAddress` line is limited to about 4 KiB, some 100 addresses; the command line is not);
several processes share the load. Bound to loopback only, stopped by PID.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.peers import free_udp_port, stop

# dontLogTCPWrappersConnects: snmpd otherwise logs every request ("Connection from UDP ..."),
# which at thousands of polls a minute costs the agents more than answering.
CONFIG = """\
rocommunity public 127.0.0.0/8
sysName bench-agent
disk / 10000
load 12 10 5
dontLogTCPWrappersConnects yes
"""


def device_addresses(count: int) -> list[str]:
    # 127.0.1.1 ... 127.0.x.254: every address on loopback is "a device"
    return [f"127.0.{1 + n // 254}.{1 + n % 254}" for n in range(count)]


@dataclass(frozen=True)
class AgentFleet:
    addresses: list[str]
    port: int
    pids: list[int]  # the snmpd processes, for their CPU time


@contextmanager
def snmpd_fleet(count: int, per_process: int = 100) -> Iterator[AgentFleet]:
    """Start snmpd processes answering on `count` loopback addresses (`per_process` each)."""
    addresses = device_addresses(count)
    port = free_udp_port()
    folder = Path(tempfile.mkdtemp(prefix="eams-bench-snmpd-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for start in range(0, count, per_process):
            chunk = addresses[start : start + per_process]
            work = folder / f"agent{start}"
            work.mkdir()
            config = work / "snmpd.conf"
            config.write_text(CONFIG)
            log = open(work / "log", "wb")  # noqa: SIM115 - closed with the process
            processes.append(
                subprocess.Popen(
                    [
                        "/usr/sbin/snmpd",
                        "-f",
                        "-Lo",
                        "-C",
                        "-I",
                        "-smux",
                        "-c",
                        str(config),
                        "-p",
                        str(work / "pid"),
                        *(f"udp:{address}:{port}" for address in chunk),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "SNMP_PERSISTENT_DIR": str(work), "MIBS": "none"},
                    start_new_session=True,
                )
            )
        for start in range(0, count, per_process):
            _wait_ready(addresses[start], port)
        _wait_ready(addresses[-1], port)
        yield AgentFleet(addresses, port, [process.pid for process in processes])
    finally:
        for process in processes:
            stop(process)


@contextmanager
def snmpd_devices(count: int, per_process: int = 100) -> Iterator[tuple[list[str], int]]:
    """Start snmpd processes answering on `count` loopback addresses; yields (addresses, port)."""
    with snmpd_fleet(count, per_process) as fleet:
        yield fleet.addresses, fleet.port


def _wait_ready(address: str, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-t",
                "1",
                "-r",
                "0",
                f"{address}:{port}",
                "1.3.6.1.2.1.1.3.0",
            ],
            capture_output=True,
        )
        if done.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"snmpd on {address}:{port} did not start")
