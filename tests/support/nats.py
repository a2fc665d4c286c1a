"""NATS with JetStream for the bus tests: a `nats-server -js` the test starts on free ports (it can
be killed and restarted on the same port and store), else the server this machine kind runs at
127.0.0.1:4222 with a stream name of the test's own (that one cannot be killed)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.peers import free_port, running, tcp_open

SHARED_HOST, SHARED_PORT = "127.0.0.1", 4222


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@dataclass
class NatsServer:
    root: Path | None  # None: the shared server, not ours to stop
    port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    stream: str = field(default_factory=lambda: f"TEST_{uuid.uuid4().hex[:12].upper()}")
    _stack: AbstractContextManager[subprocess.Popen[bytes]] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def owned(self) -> bool:
        return self.root is not None

    def start(self) -> None:
        assert self.root is not None
        binary = shutil.which("nats-server")
        assert binary
        argv = [
            binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port),
            "-sd", str(self.root / "store"), "-n", f"eams-test-{self.port}",
        ]  # fmt: skip
        health = f"http://127.0.0.1:{self.monitor_port}/healthz"
        self._stack = running(
            argv, ready=lambda: _healthy(health), what="nats-server", log_path=self.root / "nats.log"
        )
        self.process = self._stack.__enter__()

    def kill(self) -> None:
        """The bus dies (SIGKILL, no clean shutdown); `start()` brings it back on the same port and store."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        if self._stack is not None:
            self._stack.__exit__(None, None, None)
        self._stack = self.process = None

    def stop(self) -> None:
        self.kill()


@contextmanager
def nats_server(root: Path) -> Iterator[NatsServer]:
    """One the test starts when the binary exists (preferred), else the running one."""
    if shutil.which("nats-server"):
        server = NatsServer(root)
        server.start()
        try:
            yield server
        finally:
            server.stop()
        return
    if not tcp_open(SHARED_HOST, SHARED_PORT):
        if os.environ.get("CI"):
            pytest.fail("no nats-server binary and no NATS at 127.0.0.1:4222; `./dev setup` installs it")
        pytest.skip("no nats-server binary and no NATS at 127.0.0.1:4222; `./dev setup` installs it")
    yield NatsServer(None, port=SHARED_PORT)
