"""SSH configuration backup of many simulated switches in one run.

One launcher process serves N fake-switches Cisco IOS cores on N loopback ports; the inventory (a
scratch SQLite database) holds N devices with encrypted credentials; the collector backs them all
up in its bounded thread pool (facts off: the scheduled run's main cost is the session and the
running configuration). Prints devices per minute, p50/p95 per device, peak memory of the
collector and of the simulator, then a plain sequential run (one worker) over a sample as the
floor, and the ratio between the two.

    ./dev bench ssh [--devices 200] [--workers 32] [--sequential-sample 20]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.ssh.collector import DeviceOutcome, SshCollector, Want
from collectors.ssh.config import SshConfig
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.models import CredentialKind, CredentialsProfile, Device, DeviceRole, Platform
from tests.support.switch_sim import fake_switches


@dataclass
class RunFigures:
    devices: int
    workers: int
    seconds: float
    ok: int
    per_device_p50: float
    per_device_p95: float

    @property
    def per_minute(self) -> float:
        return 60.0 * self.devices / self.seconds if self.seconds else 0.0


def _vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _add_devices(services: Services, switches: list[dict[str, Any]]) -> list[int]:
    with services.db.session(actor="bench") as session:
        platform = Platform(name="cisco_ios", ssh_driver="cisco_ios")
        credentials = CredentialsProfile(
            name="bench",
            kind=CredentialKind.ssh,
            username="admin",
            secrets_encrypted=services.secret_box.seal({"password": "admin", "enable_secret": "enable"}),
        )
        session.add_all([platform, credentials])
        session.flush()
        ids = []
        for switch in switches:
            # One profile, one port each: the port lives on the profile, so each device gets its own.
            profile = CredentialsProfile(
                name=f"bench-{switch['port']}",
                kind=CredentialKind.ssh,
                username="admin",
                port=switch["port"],
                secrets_encrypted=credentials.secrets_encrypted,
            )
            session.add(profile)
            session.flush()
            device = Device(
                name=switch["name"],
                role=DeviceRole.switch,
                management_ip="127.0.0.1",
                platform_id=platform.id,
                credentials_id=profile.id,
            )
            session.add(device)
            session.flush()
            ids.append(device.id)
    return ids


async def _timed_run(collector: SshCollector, device_ids: list[int]) -> RunFigures:
    targets, problems = collector.targets(device_ids)
    assert not problems, problems
    started: dict[str, float] = {}
    durations: list[float] = []
    begin = time.perf_counter()
    for target in targets:
        started[target.name] = begin

    def done(outcome: DeviceOutcome) -> None:
        durations.append(time.perf_counter() - started[outcome.target.name])

    outcomes = await collector.run(targets, Want(backup=True), on_done=done)
    seconds = time.perf_counter() - begin
    durations.sort()
    return RunFigures(
        devices=len(targets),
        workers=collector.settings.workers,
        seconds=seconds,
        ok=sum(1 for outcome in outcomes if outcome.ok),
        per_device_p50=statistics.median(durations),
        per_device_p95=durations[max(0, int(len(durations) * 0.95) - 1)],
    )


def run(
    devices: int = 200, workers: int = 32, sequential_sample: int = 20, quiet: bool = False
) -> dict[str, Any]:
    """Runs the benchmark and returns its figures (the smoke test calls this with tiny numbers)."""
    say = (lambda *_: None) if quiet else print
    with tempfile.TemporaryDirectory(prefix="eams-bench-ssh-") as folder:
        base = Path(folder)
        settings = Settings(
            data_dir=base / "data",
            database_url=f"sqlite:///{base / 'bench.sqlite3'}",
            secret_key="bench-secret",
        )
        services = Services.from_settings(settings)
        migrate.upgrade(services.db.engine)
        say(f"starting {devices} simulated Cisco IOS switches ...")
        with fake_switches(base, devices, name_prefix="bench-sw-") as switches:
            launcher_pid = _launcher_pid(base)
            ids = _add_devices(services, switches)
            ssh = SshConfig(workers=workers, connect_timeout_s=30, read_timeout_s=60, device_timeout_s=300)
            collector = SshCollector(services.collector_context, ssh)
            try:
                parallel = asyncio.run(_timed_run(collector, ids))
            finally:
                collector.close()
            floor_ids = ids[: max(1, min(sequential_sample, devices))]
            sequential_collector = SshCollector(
                services.collector_context, SshConfig(workers=1, device_timeout_s=300)
            )
            try:
                sequential = asyncio.run(_timed_run(sequential_collector, floor_ids))
            finally:
                sequential_collector.close()
            simulator_mib = _vm_hwm_mib(launcher_pid) if launcher_pid else 0.0
        services.db.dispose()
    collector_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "devices": parallel.devices,
        "ok": parallel.ok,
        "workers": parallel.workers,
        "seconds": round(parallel.seconds, 2),
        "devices_per_minute": round(parallel.per_minute, 1),
        "per_device_p50_s": round(parallel.per_device_p50, 3),
        "per_device_p95_s": round(parallel.per_device_p95, 3),
        "peak_rss_collector_mib": round(collector_mib, 1),
        "peak_rss_simulator_mib": round(simulator_mib, 1),
        "sequential_devices": sequential.devices,
        "sequential_devices_per_minute": round(sequential.per_minute, 1),
        "speedup_vs_sequential": round(parallel.per_minute / sequential.per_minute, 2)
        if sequential.per_minute
        else None,
    }
    say("")
    done, total, seconds = parallel.ok, parallel.devices, parallel.seconds
    say(f"backed up {done}/{total} devices in {seconds:.1f} s with {workers} workers")
    say(f"  {figures['devices_per_minute']} devices/minute (target: 200 in under 120 s = 100/minute)")
    p50, p95 = parallel.per_device_p50, parallel.per_device_p95
    say(f"  time to finish per device since start: p50 {p50:.2f} s, p95 {p95:.2f} s")
    say(f"  peak memory: collector {collector_mib:.0f} MiB RSS, simulator {simulator_mib:.0f} MiB RSS")
    say(
        f"floor, one worker over {sequential.devices} devices: "
        f"{figures['sequential_devices_per_minute']} devices/minute"
        f" -> the pool is {figures['speedup_vs_sequential']}x the sequential rate"
    )
    return figures


def _launcher_pid(folder: Path) -> int | None:
    # `running` starts the launcher in its own session; find it by its ready file argument.
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if str(folder / "fake-switches.json").encode() in argv:
            return int(status.parent.name)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--sequential-sample", type=int, default=20)
    args = parser.parse_args()
    run(args.devices, args.workers, args.sequential_sample)


if __name__ == "__main__":
    main()
