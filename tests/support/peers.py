"""Starting real peer programs (snmpd, sshd, influxd, victoria-metrics ...) on loopback for tests.

Every peer binds to 127.0.0.1 (or another 127.x address) on a free port, runs in its own process
group, and is stopped by PID when the test is done. A peer that is not installed skips the test
with a sentence saying how to install it (`./dev setup` does).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port that is free right now on `host` (TCP by default; socket.SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_udp_port(host: str = "127.0.0.1") -> int:
    return free_port(socket.SOCK_DGRAM, host)


def require_program(path_or_name: str) -> str:
    found = shutil.which(path_or_name) or (path_or_name if os.path.exists(path_or_name) else None)
    if not found:
        message = f"{path_or_name} is not installed; `./dev setup` installs the test peers"
        if os.environ.get("CI"):
            # In CI a missing peer is a broken set-up, not a reason to skip silently.
            pytest.fail(message)
        pytest.skip(message)
    return found


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.TransportError):
            pass  # not listening yet, or a busy peer answering later than the client waits
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


async def until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """The event loop's readiness wait: a generous ceiling, not a timed assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(0.05)


def tcp_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


@contextmanager
def running(
    argv: Sequence[str],
    *,
    ready: Callable[[], bool],
    what: str,
    log_path: Path,
    timeout: float = 15.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv`, wait for `ready()`, yield the process, then stop it and its children."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    try:
        try:
            wait_until(lambda: process.poll() is None and ready(), timeout, what)
        except TimeoutError:
            output = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{what} did not start (exit {process.poll()}): {output}") from None
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
