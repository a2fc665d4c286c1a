"""`eams serve` as a process for the tests that run several instances on one database.

`serving(root, name, database_url, **settings)` starts one on a free loopback port with its own
data folder (`root/name`) and log (`root/serve-<name>.log`), waits until it listens and yields a
`Served`; it is stopped (its process group, by PID) when the block ends. The processes run the
installed `eams`: from a git worktree, run the tests with PYTHONPATH=<worktree>.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.remote.processes import EAMS, clean_env, eams
from tests.support.peers import free_port, running, tcp_open

SHARED_SECRET_KEY = "shared-secret-key"  # instances on one database open each other's secrets


@dataclass
class Served:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9 of its process group, without a chance to clean up; returns once it is gone."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def token(self, role: str, name: str) -> str:
        created = eams("token", "create", "--role", role, "--name", name, env=self.env)
        assert created.returncode == 0, created.stderr
        return created.stdout.strip().splitlines()[-1]


@contextmanager
def serving(
    root: Path, name: str, database_url: str, timeout: float = 60, **settings: str
) -> Iterator[Served]:
    port = free_port()
    env = clean_env(
        EAMS_DATA_DIR=str(root / name), EAMS_DATABASE_URL=database_url, EAMS_SECRET_KEY=SHARED_SECRET_KEY,
        **settings,
    )  # fmt: skip
    log_path = root / f"serve-{name}.log"
    with running(
        [EAMS, "serve", "--port", str(port)],
        ready=lambda: tcp_open("127.0.0.1", port),
        what=f"eams serve {name}",
        log_path=log_path,
        env=env,
        timeout=timeout,
    ) as process:
        yield Served(name, process, port, log_path, env)
