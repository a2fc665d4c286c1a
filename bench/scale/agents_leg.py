"""The agents leg of `./dev bench scale --agents` (see __main__.py): real SNMP agents, real
collector processes, a real NATS JetStream, the service side in its own process; then the same
polls in one process without the bus.

    snmpd x P on 127.0.x.y:PORT  <--SNMP--  C x `bench.scale.collector`  --JetStream-->
        nats-server -js  -->  `bench.scale.service` (bus consumer -> sink spool + alert engine)
    snmpd x P                 <--SNMP--  `bench.scale.service` alone (poller -> sink + engine)

This process only orchestrates: it seeds the scratch database, starts everything, reads the CPU
time of every process from /proc at each round's end, and puts the figures together.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.scale.run import CLOCK_TICKS, start_nats
from bench.scale.spec import ROLE, Device, WorkerSpec
from bench.snmp.agents import AgentFleet, snmpd_fleet
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.models import Device as DeviceRow
from inventory.models import DeviceRole, Site, SiteKind

REPO = Path(__file__).resolve().parents[2]
SITES = 10
DATABASE = "eams.sqlite3"  # the default file name under a data folder (Settings.resolved_database_url)


@dataclass(frozen=True)
class AgentsConfig:
    devices: int = 20_000
    collectors: int = 4
    interval_s: float = 150.0
    rounds: int = 3  # measured, after one warm-up round
    partitions: int = 16
    per_agent: int = 1_000  # loopback addresses one snmpd answers on
    url: str | None = None  # an existing NATS server; default: start nats-server -js
    in_process: bool = True  # also the same polls in one process, without the bus


@dataclass
class LegRound:
    samples: int
    p50_ms: float
    p95_ms: float
    poll_p95_ms: float  # the poll itself (its first request to its last answer)
    handover_p95_ms: float  # from the poll's end to the service's pipeline
    polls: int
    missed: int
    cpu_s: dict[str, float]  # per group of processes: collectors, bus, service, agents


@dataclass
class Leg:
    label: str
    rounds: list[LegRound] = field(default_factory=list)  # the measured ones
    polled_samples: int = 0  # what the pollers produced, every round
    consumed_samples: int = 0  # what reached the service's pipeline (after sink and engine)
    sealed_samples: int = 0  # what the collectors' publishers put on the bus (bus leg)
    duplicates: int = 0
    redelivered: int = 0
    pending_batches: int = 0
    pipeline_errors: int = 0
    peak_rss_mib: dict[str, float] = field(default_factory=dict)

    def median(self, pick: Callable[[LegRound], float]) -> float:
        return statistics.median(pick(r) for r in self.rounds) if self.rounds else 0.0

    def samples_per_poll(self) -> float:
        polls = self.median(lambda r: r.polls)
        return self.median(lambda r: r.samples) / polls if polls else 0.0

    def cpu(self, *groups: str) -> float:
        return self.median(lambda r: sum(r.cpu_s.get(group, 0.0) for group in groups))

    def ms_per_poll(self, *groups: str) -> float:
        """Median over rounds of the round's CPU over the polls it made."""
        return self.median(
            lambda r: sum(r.cpu_s.get(group, 0.0) for group in groups) / r.polls * 1000 if r.polls else 0.0
        )


@dataclass
class AgentsReport:
    config: AgentsConfig
    agent_processes: int
    bus: Leg
    in_process: Leg | None
    load_average: tuple[float, float, float]

    def cores_per_10k(self, leg: Leg, *groups: str, interval_s: float = 60.0) -> float:
        """CPU per poll (a round's CPU over the polls it made: a leg that fell behind made fewer),
        scaled to 10,000 devices polled every `interval_s`."""
        return leg.ms_per_poll(*groups) / 1000 * 10_000 / interval_s

    def render(self) -> str:
        config, bus, alone = self.config, self.bus, self.in_process
        ours = ("collectors", "bus", "service")
        named = (("collectors", "collectors"), ("nats-server", "bus"), ("service", "service"))
        lines = [
            f"{config.devices:,} devices (snmpd x {self.agent_processes} on 127.0.x.y loopback), "
            f"{config.collectors} collector processes, {config.partitions} partitions, "
            f"interval {config.interval_s:g} s, 1 warm-up + {config.rounds} measured rounds (medians); "
            f"{os.cpu_count()} CPUs shared, load average {self.load_average[0]:.1f} at the end",
            f"{'path':<12} {'samples/poll':>12} {'samples/s':>10} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'polls/round':>15} {'missed':>7} {'CPU-s/round':>12} {'CPU ms/poll':>12} "
            f"{'cores/10k dev @60s':>19}",
        ]
        for leg, groups in ((bus, ours), (alone, ("service",))):
            if leg is None:
                continue
            polls = f"{leg.median(lambda r: r.polls):,.0f}/{config.devices:,}"
            lines.append(
                f"{leg.label:<12} {leg.samples_per_poll():>12.1f} "
                f"{leg.median(lambda r: r.samples) / config.interval_s:>10,.0f} "
                f"{leg.median(lambda r: r.p50_ms):>8,.0f} {leg.median(lambda r: r.p95_ms):>8,.0f} "
                f"{polls:>15} {sum(r.missed for r in leg.rounds):>7} {leg.cpu(*groups):>12.2f} "
                f"{leg.ms_per_poll(*groups):>12.2f} {self.cores_per_10k(leg, *groups):>19.3f}"
            )
        for leg in (bus, alone):
            if leg is not None:
                lines.append(
                    f"{leg.label} latency p95 apart: the poll {leg.median(lambda r: r.poll_p95_ms):,.0f} ms, "
                    f"poll end -> service pipeline {leg.median(lambda r: r.handover_p95_ms):,.0f} ms"
                )
        per_sample = bus.median(lambda r: r.samples) or 1
        lines.append(
            "bus path CPU-s per round: "
            + ", ".join(
                f"{name} {bus.cpu(group):.2f} ({bus.cpu(group) / per_sample * 1e6:.1f} us/sample, "
                f"{self.cores_per_10k(bus, group):.3f} cores/10k)"
                for name, group in named
            )
        )
        lines.append(
            "of which system (kernel) time: "
            + ", ".join(
                f"{name} {bus.cpu(group + '/sys') / bus.cpu(group) if bus.cpu(group) else 0:.0%}"
                for name, group in named
            )
            + (
                f"; in-process {alone.cpu('service/sys') / alone.cpu('service'):.0%}"
                if alone is not None and alone.cpu("service")
                else ""
            )
        )
        agents = [f"bus leg {bus.cpu('agents'):.2f}"]
        if alone is not None:
            agents.append(f"in-process leg {alone.cpu('agents'):.2f}")
        lines.append(
            f"agents (snmpd, not ours) CPU-s per round: {', '.join(agents)} "
            f"({self.cores_per_10k(bus, 'agents'):.3f} cores/10k dev @60s)"
        )
        if alone is not None and alone.ms_per_poll("service"):
            lines.append(
                f"bus path / in-process CPU per poll: "
                f"{bus.ms_per_poll(*ours) / alone.ms_per_poll('service'):.2f}x; "
                f"in-process p95 {alone.median(lambda r: r.p95_ms):,.0f} ms vs bus "
                f"{bus.median(lambda r: r.p95_ms):,.0f} ms"
            )
            if alone.median(lambda r: r.polls) < 0.99 * config.devices:
                lines.append(
                    "the in-process leg fell behind: one process (one core at most, one event loop) "
                    "did not poll every device each round here"
                )
        lines.append(
            f"samples, all rounds: bus leg {bus.polled_samples:,} polled, {bus.sealed_samples:,} published, "
            f"{bus.consumed_samples:,} consumed ({bus.duplicates} duplicates skipped, "
            f"{bus.redelivered} redelivered, {bus.pending_batches} batches left spooled)"
            + (
                f"; in-process {alone.polled_samples:,} polled, {alone.consumed_samples:,} consumed"
                if alone is not None
                else ""
            )
        )
        rss = ", ".join(f"{name} {mib:,.0f}" for name, mib in bus.peak_rss_mib.items())
        if alone is not None:
            rss += f"; in-process {alone.peak_rss_mib.get('in-process', 0):,.0f}"
        lines.append(f"peak RSS MiB: {rss}")
        lines.append(
            f"projected cores per 10,000 devices at a 60 s interval: bus path "
            f"{self.cores_per_10k(bus, *ours):.3f}"
            + (f", in process {self.cores_per_10k(alone, 'service'):.3f}" if alone is not None else "")
            + f" (+ {self.cores_per_10k(bus, 'agents'):.3f} for the simulated agents)"
        )
        return "\n".join(lines)


# --- the pieces ---------------------------------------------------------------------------------


def seed_database(folder: Path, fleet: AgentFleet) -> list[Device]:
    """The scratch inventory: one device per agent address, the ids the collectors' targets carry."""
    services = Services.from_settings(Settings(data_dir=folder, secret_key="bench"))
    migrate.upgrade(services.db.engine)
    names = [f"Trung tâm dữ liệu {n + 1}" for n in range(SITES)]
    with services.db.session() as session:
        sites = [Site(name=name, kind=SiteKind.data_center) for name in names]
        session.add_all(sites)
        session.flush()
        rows = [
            DeviceRow(
                name=f"agent-{n:05d}",
                role=DeviceRole(ROLE),
                management_ip=address,
                site_id=sites[n % SITES].id,
            )
            for n, address in enumerate(fleet.addresses)
        ]
        session.add_all(rows)
        session.flush()
        devices = [
            Device(row.name, address, fleet.port, row.id, names[n % SITES])
            for n, (row, address) in enumerate(zip(rows, fleet.addresses, strict=True))
        ]
    services.db.engine.dispose()
    return devices


class Worker:
    """A worker process (collector or service) and its line protocol (spec.py)."""

    def __init__(self, module: str, spec: WorkerSpec, folder: Path) -> None:
        self.spec = spec
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{spec.name}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("EAMS_")}
        env["PYTHONPATH"] = str(REPO)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, str(spec.save(folder / f"{spec.name}.json"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=REPO,
                env=env,
                text=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def _stdin(self) -> IO[str]:
        assert self.process.stdin is not None
        return self.process.stdin

    def send(self, line: str) -> None:
        self._stdin().write(line + "\n")
        self._stdin().flush()

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.spec.name} exited ({self.process.returncode}):\n{tail}")
        return line.strip()

    def result(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.read())
        self.process.wait(60)
        return document

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def proc_times(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS  # utime, stime


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_of(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds (user + system) of each group of processes, and `<group>/sys`: the system part
    (on loopback the kernel's delivery of a datagram to its receiver is charged to the sender)."""
    found: dict[str, float] = {}
    for group, pids in groups.items():
        found[group] = found[f"{group}/sys"] = 0.0
        for pid in pids:
            try:
                user, system = proc_times(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited: its CPU is no longer readable (only happens after the last round)
            found[group] += user + system
            found[f"{group}/sys"] += system
    return found


def clocked(
    workers: list[Worker], groups: dict[str, list[int]], config: AgentsConfig
) -> list[dict[str, float]]:
    """Start the round clock in every worker; CPU of every group at each round's end (t0 included)."""
    t0 = time.time() + 1.0
    for worker in workers:
        worker.send(repr(t0))
    taken = []
    for k in range(config.rounds + 2):
        time.sleep(max(0.0, t0 + k * config.interval_s - time.time()))
        taken.append(cpu_of(groups))
    return taken


def measured_rounds(
    config: AgentsConfig,
    cpu: list[dict[str, float]],
    service: dict[str, Any],
    schedules: list[list[dict[str, Any]]],
) -> list[LegRound]:
    """Rounds 1 .. rounds: samples and latency by poll time, polls and misses from the schedulers'
    counts at each round's end, CPU between the round's two ends."""
    by_number = {r["round"]: r for r in service["rounds"]}
    found = []
    for k in range(1, config.rounds + 1):
        empty = {"samples": 0, "p50_ms": 0.0, "p95_ms": 0.0, "poll_p95_ms": 0.0, "handover_p95_ms": 0.0}
        latency = by_number.get(k, empty)
        polls = sum(s[k]["polls"] - s[k - 1]["polls"] for s in schedules)
        missed = sum(s[k]["missed"] - s[k - 1]["missed"] for s in schedules)
        found.append(
            LegRound(
                samples=latency["samples"],
                p50_ms=latency["p50_ms"],
                p95_ms=latency["p95_ms"],
                poll_p95_ms=latency["poll_p95_ms"],
                handover_p95_ms=latency["handover_p95_ms"],
                polls=polls,
                missed=missed,
                cpu_s={group: cpu[k + 1][group] - cpu[k][group] for group in cpu[k]},
            )
        )
    return found


def run_bus_leg(
    config: AgentsConfig, folder: Path, devices: list[Device], fleet: AgentFleet, bus: dict[str, Any],
    bus_pid: int | None, progress: Callable[[str], None],
) -> Leg:  # fmt: skip
    rounds = config.rounds + 1
    data = folder / "bus-service"
    data.mkdir()
    shutil.copy(folder / "seed" / DATABASE, data / DATABASE)
    workers: list[Worker] = []
    try:
        service = Worker(
            "bench.scale.service", WorkerSpec("service", str(data), config.interval_s, rounds, bus), folder
        )
        workers.append(service)
        service.read()  # ready: consuming every partition
        collectors = [
            Worker(
                "bench.scale.collector",
                WorkerSpec(
                    f"c{n}",
                    str(folder / f"c{n}"),
                    config.interval_s,
                    rounds,
                    bus,
                    devices[n :: config.collectors],
                ),
                folder,
            )
            for n in range(config.collectors)
        ]
        workers.extend(collectors)
        for collector in collectors:
            collector.read()
        progress(f"bus leg: {len(devices):,} devices, {rounds} rounds of {config.interval_s:g} s ...")
        groups = {
            "collectors": [c.pid for c in collectors],
            "bus": [bus_pid] if bus_pid else [],
            "service": [service.pid],
            "agents": fleet.pids,
        }
        cpu = clocked(workers, groups, config)
        results = [collector.result() for collector in collectors]
        sealed = sum(r["bus"]["samples"] for r in results)
        service.send(str(sealed))
        served = service.result()
    finally:
        for worker in workers:
            worker.kill()
    leg = Leg("bus", measured_rounds(config, cpu, served, [r["rounds"] for r in results]))
    leg.polled_samples = sum(r["polled_samples"] for r in results)
    leg.sealed_samples = sealed
    leg.consumed_samples = served["samples"]
    leg.duplicates = served["consumer"]["duplicates"]
    leg.redelivered = served["consumer"]["redelivered"]
    leg.pending_batches = sum(r["bus"]["pending_batches"] for r in results)
    leg.pipeline_errors = served["pipeline_errors"]
    leg.peak_rss_mib = {r["name"]: r["peak_rss_mib"] for r in results} | {"service": served["peak_rss_mib"]}
    return leg


def run_in_process_leg(
    config: AgentsConfig,
    folder: Path,
    devices: list[Device],
    fleet: AgentFleet,
    progress: Callable[[str], None],
) -> Leg:
    rounds = config.rounds + 1
    data = folder / "in-process"
    data.mkdir()
    shutil.copy(folder / "seed" / DATABASE, data / DATABASE)
    spec = WorkerSpec("in-process", str(data), config.interval_s, rounds, {}, devices)
    service = Worker("bench.scale.service", spec, folder)
    try:
        service.read()
        progress(f"in-process leg: {len(devices):,} devices, {rounds} rounds of {config.interval_s:g} s ...")
        cpu = clocked([service], {"service": [service.pid], "agents": fleet.pids}, config)
        served = service.result()
    finally:
        service.kill()
    leg = Leg("in-process", measured_rounds(config, cpu, served, [served["scheduler_rounds"]]))
    leg.polled_samples = leg.consumed_samples = served["samples"]
    leg.pipeline_errors = served["pipeline_errors"]
    leg.peak_rss_mib = {"in-process": served["peak_rss_mib"]}
    return leg


def run_agents(config: AgentsConfig, progress: Callable[[str], None] = print) -> AgentsReport:
    stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    with tempfile.TemporaryDirectory(prefix="eams-bench-scale-agents-") as name:
        folder = Path(name)
        progress(f"starting snmpd on {config.devices:,} loopback addresses ...")
        with snmpd_fleet(config.devices, per_process=config.per_agent) as fleet:
            devices = seed_database(folder / "seed", fleet)
            nats = None
            url = config.url
            if url is None:
                (folder / "nats").mkdir()
                nats, url = start_nats(folder / "nats")
            bus = {
                "url": url, "stream": stream, "subject_prefix": stream.lower(),
                "consumer": stream.lower(), "partitions": config.partitions,
            }  # fmt: skip
            try:
                bus_pid = nats.pid if nats else None
                bus_leg = run_bus_leg(config, folder, devices, fleet, bus, bus_pid, progress)
                if nats is not None:
                    bus_leg.peak_rss_mib["nats-server"] = peak_rss_mib(nats.pid)
                bus_leg.peak_rss_mib["snmpd (all)"] = sum(peak_rss_mib(pid) for pid in fleet.pids)
            finally:
                if nats is not None:
                    nats.terminate()
                    nats.wait(10)
            alone = None
            if config.in_process:
                alone = run_in_process_leg(config, folder, devices, fleet, progress)
            agent_processes = len(fleet.pids)
    return AgentsReport(config, agent_processes, bus_leg, alone, os.getloadavg())
