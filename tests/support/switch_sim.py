"""Starts simulated Cisco IOS switches (fake-switches, in its own venv) on loopback ports.

`scripts/fake-switches-venv.sh` installs the simulator on first use (its pinned Twisted cannot
live in .venv); `tests/support/fake_switch_launcher.py` serves the switches. Shared by the tests
and `bench/ssh`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.peers import running

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).with_name("fake_switch_launcher.py")
VENV_SCRIPT = ROOT / "scripts" / "fake-switches-venv.sh"


def fake_switches_python() -> str:
    """The fake-switches venv's python, installing it first when needed."""
    folder = os.environ.get("EAMS_FAKE_SWITCHES_DIR", str(ROOT / "var" / "peers" / "fake-switches"))
    done = subprocess.run(
        ["bash", str(VENV_SCRIPT), folder], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"installing fake-switches failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def fake_switches(
    folder: Path,
    count: int = 1,
    *,
    user: str = "admin",
    password: str = "admin",
    enable_password: str = "enable",
    name_prefix: str = "sw",
    neighbours: list[dict[str, str]] | None = None,
    python: str | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yields [{"name", "port", "serial"}] of `count` switches listening on 127.0.0.1."""
    ready = folder / "fake-switches.json"
    ready.unlink(missing_ok=True)
    argv = [
        python or fake_switches_python(),
        str(LAUNCHER),
        "--ready-file",
        str(ready),
        "--count",
        str(count),
        "--user",
        user,
        "--password",
        password,
        "--enable-password",
        enable_password,
        "--name-prefix",
        name_prefix,
        "--neighbours",
        json.dumps(neighbours or []),
    ]
    with running(
        argv, ready=ready.exists, what="fake-switches", log_path=folder / "fake-switches.log", timeout=60
    ):
        yield json.loads(ready.read_text())["devices"]


if __name__ == "__main__":  # `python -m tests.support.switch_sim` installs it (used by ./dev setup)
    print(fake_switches_python(), file=sys.stdout)
