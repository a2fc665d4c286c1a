"""Simulated devices for the benchmark: net-snmp snmpd listening on many 127.0.1.x addresses.

Each loopback address is one "device" to the pollers. One snmpd process answers on up to
`per_process` of them (snmpd's config lines are limited to about 4 KiB, hence 100); several
processes share the load. Bound to loopback only, stopped by PID.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.peers import free_udp_port, stop

CONFIG = """\
agentAddress {addresses}
rocommunity public 127.0.0.0/8
sysName bench-agent
disk / 10000
load 12 10 5
"""


def device_addresses(count: int) -> list[str]:
    # 127.0.1.1 ... 127.0.x.254: every address on loopback is "a device"
    return [f"127.0.{1 + n // 254}.{1 + n % 254}" for n in range(count)]


@contextmanager
def snmpd_devices(count: int, per_process: int = 100) -> Iterator[tuple[list[str], int]]:
    """Start snmpd processes answering on `count` loopback addresses; yields (addresses, port)."""
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
            config.write_text(CONFIG.format(addresses=",".join(f"udp:{a}:{port}" for a in chunk)))
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
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "SNMP_PERSISTENT_DIR": str(work), "MIBS": "none"},
                    start_new_session=True,
                )
            )
        _wait_ready(addresses[0], port)
        _wait_ready(addresses[-1], port)
        yield addresses, port
    finally:
        for process in processes:
            stop(process)


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
