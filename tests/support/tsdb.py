"""Real time-series servers for tests and benchmarks: InfluxDB 1.x (`influxd`) and VictoriaMetrics.

Both bind 127.0.0.1 on free ports (InfluxDB 1.x on two: HTTP and its RPC/backup port), keep their
data in the caller's folder, and are stopped by PID. `restart()` stops and starts the same server
on the same port and data, which is what an outage test needs.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.peers import free_port, require_program, running, stop

INFLUXD_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[ifql]
  enabled = false

[logging]
  level = "warn"
"""


def http(method: str, url: str, body: bytes | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _answers(url: str) -> bool:
    try:
        status, _ = http("GET", url, timeout=0.5)
    except OSError:
        return False
    return status < 500


@dataclass
class _Server:
    root: Path
    port: int = field(default_factory=free_port)
    _stack: AbstractContextManager[subprocess.Popen[bytes]] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready_path(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._stack = running(
            self.argv(),
            ready=lambda: _answers(self.url + self.ready_path()),
            what=type(self).__name__,
            log_path=self.root / "server.log",
            timeout=30,
        )
        self.process = self._stack.__enter__()

    def stop(self) -> None:
        if self._stack is not None and self.process is not None:
            stop(self.process)
            self._stack.__exit__(None, None, None)
        self._stack = None
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class InfluxDB1(_Server):
    """InfluxDB 1.x: `/write?db=` and InfluxQL `/query`, strict about field types."""

    rpc_port: int = field(default_factory=free_port)

    def argv(self) -> list[str]:
        config = self.root / "influxdb.conf"
        config.write_text(INFLUXD_CONFIG.format(root=self.root, rpc_port=self.rpc_port, http_port=self.port))
        return [require_program("influxd"), "-config", str(config)]

    def ready_path(self) -> str:
        return "/ping"

    def query(self, q: str, db: str | None = None) -> dict[str, Any]:
        params = {"q": q, "epoch": "ns"}
        if db:
            params["db"] = db
        status, body = http("POST", f"{self.url}/query?" + urllib.parse.urlencode(params))
        if status != 200:
            raise AssertionError(f"InfluxQL {q!r} failed with {status}: {body!r}")
        return dict(json.loads(body))

    def write(self, db: str, lines: bytes) -> tuple[int, str]:
        status, body = http("POST", f"{self.url}/write?db={db}&precision=ns", lines)
        return status, body.decode(errors="replace")


@dataclass
class VictoriaMetrics(_Server):
    """VictoriaMetrics: accepts influxdb-client's `/api/v2/write`; read back with `/api/v1/export`.

    With `dedup` (the default) it keeps one sample per series and timestamp, as InfluxDB does.
    """

    dedup: bool = True
    extra_args: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        dedup = ["-dedup.minScrapeInterval=1ms"] if self.dedup else []
        return [
            require_program("victoria-metrics"),
            f"-storageDataPath={self.root / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-search.latencyOffset=1s",
            "-loggerLevel=ERROR",
            *dedup,
            *self.extra_args,
        ]

    def ready_path(self) -> str:
        return "/health"

    def export(self, match: str) -> list[dict[str, Any]]:
        """Every series matching `match`, each with its `metric` labels, `values` and `timestamps` (ms)."""
        http("GET", f"{self.url}/internal/force_flush")
        query = urllib.parse.urlencode({"match[]": match, "start": "0"})
        status, body = http("GET", f"{self.url}/api/v1/export?{query}")
        if status != 200:
            raise AssertionError(f"export {match!r} failed with {status}: {body!r}")
        return [json.loads(line) for line in body.splitlines() if line.strip()]


@contextmanager
def influxdb1(root: Path) -> Iterator[InfluxDB1]:
    server = InfluxDB1(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def victoria_metrics(root: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
