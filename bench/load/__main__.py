"""Monitoring under API load: does polling keep its timetable while people use the service?

    python -m bench.load [--devices 10000] [--agents 20] [--interval 5]
                         [--clients 0,50,200] [--duration 60] [--database-url URL]

An inventory of `--devices` devices (PostgreSQL: EAMS_TEST_DATABASE_URL or --database-url; a
scratch database made and dropped here), `--agents` of them real snmpd agents on loopback polled
every `--interval` seconds by the service's own poller. The service (the same app and components
`eams serve` runs, in this process under uvicorn) is then loaded by 0, 50, 200 ... concurrent API
clients, each its own process-free async loop in a child process, for `--duration` seconds each.

Per level it prints: polls made / expected, missed polls counted by the scheduler, API requests
and their p50/p99, 5xx answers (503 with Retry-After counted apart: the pool bound doing its job),
and the event loop's maximum lag as the watchdog measured it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from bench.inventory.fill import fill
from collectors.snmp.config import SnmpConfig
from eams.api.app import create_app
from eams.auth import create_token
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.db import Database
from inventory.models import CredentialKind, CredentialsProfile, Device, DeviceRole, LifecycleStatus, Role
from tests.support.database import scratch_database_url
from tests.support.peers import free_port
from tests.support.snmp_agents import snmpd_agent


@dataclass
class Level:
    clients: int
    polls: int
    expected: int
    missed: int
    unreachable: int = 0  # polls that got no answer (a loaded machine's snmpd can be slow)
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors_5xx: int = 0
    busy_503: int = 0
    max_lag_s: float = 0.0

    def row(self) -> str:
        share = 100.0 * self.polls / self.expected if self.expected else 0.0
        return (
            f"{self.clients:>7} | {self.polls:>5}/{self.expected:<5} {share:5.1f}% | {self.missed:>6} | "
            f"{self.unreachable:>6} | "
            f"{self.requests:>8} {self.rps:7.1f}/s | {self.p50_ms:8.1f} | {self.p99_ms:8.1f} | "
            f"{self.errors_5xx:>4} | {self.busy_503:>7} | {self.max_lag_s:7.3f}"
        )


HEADER = (
    "clients | polls made/expected    | missed | no ans | requests      rate |  p50 ms |  p99 ms |  5xx | "
    "503+R-A | max lag s"
)


def prepare(
    url: str, devices: int, agent_ports: list[int], box_key: str, data_dir: Path
) -> tuple[Services, str, list[int]]:
    db = Database(url)
    migrate.upgrade(db.engine)
    fill(db.engine, devices=devices, agencies=min(200, max(2, devices // 50)))
    db.dispose()
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=box_key,
        snmp=SnmpConfig(interval_s=INTERVAL[0]),
    )
    services = Services.from_settings(settings)
    with services.db.session() as session:
        polled = []
        for n, port in enumerate(agent_ports):
            profile = CredentialsProfile(
                name=f"bench-load-snmp-{n}",
                kind=CredentialKind.snmp_v2c,
                port=port,
                timeout_s=2.0,
                retries=1,
                secrets_encrypted=services.secret_box.seal({"community": "public"}),
            )
            session.add(profile)
            session.flush()
            device = Device(
                name=f"bench-polled-{n:02d}",
                role=DeviceRole.switch,
                status=LifecycleStatus.active,
                management_ip="127.0.0.1",
                credentials_id=profile.id,
            )
            session.add(device)
            session.flush()
            polled.append(device.id)
        _, token = create_token(session, name="bench-load", role=Role.admin)
    return services, token, polled


INTERVAL = [5.0]


async def measure(
    services: Services, token: str, device_ids: list[int], args: argparse.Namespace
) -> list[Level]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.1)
    scheduler = services.extras["snmp_scheduler"]
    watchdog = services.extras["loop_watchdog"]
    while scheduler.stats()["devices"] < args.agents:
        await asyncio.sleep(0.5)
    await asyncio.sleep(args.interval * 2)  # first polls made, caches warm
    levels: list[Level] = []
    try:
        for clients in args.clients:
            before = scheduler.stats()
            started = time.monotonic()
            watchdog.max_lag_s = 0.0
            figures: dict[str, Any] = {}
            if clients == 0:
                await asyncio.sleep(args.duration)
            else:
                child = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.load.clients",
                    "--url", f"http://127.0.0.1:{port}", "--token", token,
                    "--clients", str(clients), "--duration", str(args.duration),
                    "--device-ids", ",".join(str(i) for i in device_ids),
                    stdout=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, _ = await child.communicate()
                figures = json.loads(out.decode().strip().splitlines()[-1])
            after = scheduler.stats()
            # Expected over the window really measured: the client process's start-up and wind-down
            # make it longer than --duration (counting from --duration once showed 115% of polls).
            elapsed = time.monotonic() - started
            expected = int(args.agents * elapsed / args.interval)
            levels.append(
                Level(
                    clients=clients,
                    polls=after["polls"] - before["polls"],
                    expected=expected,
                    missed=after["missed"] - before["missed"],
                    unreachable=after["unanswered"] - before["unanswered"],
                    max_lag_s=watchdog.max_lag_s,
                    **{
                        k: figures[k]
                        for k in ("requests", "rps", "p50_ms", "p99_ms", "errors_5xx", "busy_503")
                        if k in figures
                    },
                )
            )
            print(levels[-1].row(), flush=True)
            if figures.get("statuses") or figures.get("transport"):
                print(
                    f"        5xx by status: {figures['statuses']}; no answer: {figures['transport']}",
                    flush=True,
                )
    finally:
        server.should_exit = True
        await serving
    return levels


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--clients", default="0,50,200", help="comma-separated client counts")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level")
    parser.add_argument("--database-url", default=None, help="default: EAMS_TEST_DATABASE_URL, else SQLite")
    args = parser.parse_args(argv)
    try:
        args.clients = [int(c) for c in args.clients.split(",")]
    except ValueError:
        parser.error("--clients: comma-separated whole numbers, e.g. 0,50,200")
    if args.devices < args.agents or args.agents < 1:
        parser.error("--devices must be at least --agents, and --agents at least 1")
    if args.duration <= 0 or args.interval < 1 or any(c < 0 for c in args.clients):
        parser.error("--duration > 0, --interval >= 1 and client counts >= 0 are needed")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    INTERVAL[0] = args.interval
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        url = stack.enter_context(scratch_database_url(folder, args.database_url, prefix="eams_load"))
        agents = [stack.enter_context(snmpd_agent(folder / f"snmpd-{n}")) for n in range(args.agents)]
        started = time.monotonic()
        services, token, polled = prepare(
            url, args.devices, [a.port for a in agents], "bench-load-key", folder / "data"
        )
        print(
            f"eams load: {args.devices} devices on {services.db.engine.dialect.name}, "
            f"{args.agents} snmpd agents polled every {args.interval:g} s, {args.duration:g} s per level "
            f"(prepared in "
            f"{time.monotonic() - started:.0f} s; pool {services.settings.database_pool_size}, "
            f"{services.settings.api_connections} for the API)",
            flush=True,
        )
        print(HEADER, flush=True)
        try:
            asyncio.run(measure(services, token, polled, args))
        finally:
            services.db.dispose()


if __name__ == "__main__":
    main()
