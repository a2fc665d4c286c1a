"""Real SNMP agents for tests and benchmarks: net-snmp's snmpd and snmpsim serving recordings.

snmpsim recordings come from the PyPI package `snmpsim-data`, trimmed by `collectors.lab.recordings`
(shared with `eams demo`) into a cache folder reused between runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from collectors.lab.recordings import RECORDINGS
from collectors.lab.recordings import prepare_recordings as _prepare
from tests.support.peers import free_udp_port, require_program, running

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "tests" / "snmp" / "testdata"
CACHE = Path(os.environ.get("EAMS_TEST_CACHE", REPO / "var" / "test-cache"))


@dataclass(frozen=True)
class Agent:
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def net_snmp(tool: str, agent: Agent, *args: str, community: str = "public", timeout: float = 5) -> str:
    """Run a net-snmp tool (snmpget, snmpbulkwalk) against the agent and return its output."""
    program = require_program(tool)
    argv = [
        program,
        "-v2c",
        "-c",
        community,
        "-m",
        "",
        "-On",
        "-OQ",
        "-Oe",
        "-Ot",
        "-t",
        str(timeout),
        "-r",
        "1",
    ]
    done = subprocess.run(
        [*argv, agent.address, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MIBS": ""},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed: {done.stderr.strip()}")
    return done.stdout


def net_snmp_values(tool: str, agent: Agent, *oids: str, community: str = "public") -> dict[str, str]:
    """OID (no leading dot) -> value text as net-snmp prints it (strings without their quotes)."""
    values: dict[str, str] = {}
    for line in net_snmp(tool, agent, *oids, community=community).splitlines():
        oid, sep, value = line.partition(" = ")
        if not sep or "No Such" in value or "No more variables" in value:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[oid.lstrip(".")] = value
    return values


@contextmanager
def snmpd_agent(folder: Path, host: str = "127.0.0.1", port: int | None = None) -> Iterator[Agent]:
    snmpd = require_program("/usr/sbin/snmpd")
    port = port or free_udp_port(host)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "snmpd.conf"
    text = (TESTDATA / "snmpd.conf").read_text().replace("{port}", str(port))
    if host != "127.0.0.1":  # another loopback address: listen there, answer all of 127/8
        text = text.replace("udp:127.0.0.1:", f"udp:{host}:").replace(
            "public 127.0.0.1", "public 127.0.0.0/8"
        )
    config.write_text(text)
    agent = Agent(host, port)
    argv = [snmpd, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(config), "-p", str(folder / "pid")]
    env = {"SNMP_PERSISTENT_DIR": str(folder), "MIBS": "none"}
    with running(argv, ready=lambda: _answers(agent), what="snmpd", log_path=folder / "snmpd.log", env=env):
        yield agent


def _answers(agent: Agent, community: str = "public", timeout: float = 1) -> bool:
    try:
        net_snmp("snmpget", agent, "1.3.6.1.2.1.1.3.0", community=community, timeout=timeout)
    except (RuntimeError, subprocess.TimeoutExpired):
        return False
    return True


def prepare_recordings(names: list[str] | None = None) -> Path:
    """The shared data folder with the wanted recordings, plus the hand-written lab recordings."""
    wanted = [name for name in names or list(RECORDINGS) if name in RECORDINGS]  # others: checked in
    data = _prepare(CACHE / "snmpsim" / "data", wanted)
    # Hand-written lab recordings (checked in beside the tests): a device whose answers change;
    # and recordings of devices snmpsim-data lacks (testdata/recordings/README.md).
    checked_in = [("lab", r) for r in (TESTDATA / "lab").glob("*.snmprec")]
    checked_in += [("public", r) for r in (TESTDATA / "recordings").glob("*.snmprec")]
    for folder, recording in checked_in:
        copy = data / folder / recording.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.exists() or copy.read_bytes() != recording.read_bytes():
            copy.write_bytes(recording.read_bytes())
    return data


@contextmanager
def snmpsim_agent(
    folder: Path,
    names: list[str] | None = None,
    host: str = "127.0.0.1",
    *,
    data: Path | None = None,
    port: int | None = None,
) -> Iterator[Agent]:
    """snmpsim serving `names` (communities of RECORDINGS); or, with `data`, a data folder of the
    caller's own whose recordings are `names`."""
    responder = Path(sys.executable).parent / "snmpsim-command-responder"
    require_program(str(responder))
    data = data or prepare_recordings(names)
    cache = CACHE / "snmpsim" / "index"
    cache.mkdir(parents=True, exist_ok=True)
    port = port or free_udp_port(host)
    agent = Agent(host, port)
    argv = [
        str(responder),
        f"--data-dir={data}",
        f"--cache-dir={cache}",
        f"--agent-udpv4-endpoint={host}:{port}",
    ]
    first = (names or list(RECORDINGS))[0]
    with running(
        argv,
        ready=lambda: _answers(agent, community=first, timeout=5),
        what="snmpsim",
        log_path=folder / "snmpsim.log",
        env={"SNMPSIM_ALLOW_ROOT": "true"},
        timeout=120,
    ):
        yield agent
