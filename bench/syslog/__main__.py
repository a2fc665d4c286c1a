"""Syslog intake throughput and message-to-alert latency, with rsyslog (Debian) as the anchor.

    ./dev bench syslog [--messages 100000] [--rounds 3] [--udp-rate 10000] [--bursts 20]
                       [--database-url postgresql://...]

In one run, on loopback, with the load generator in its own process (bench/syslog/sender.py):
  tcp   - octet-counted frames as fast as the sender can write them into the intake running as in
          the service (listener, parse, device lookup, SQLite/PostgreSQL store with its search index,
          events to the alert engine, counts); printed: messages/s wall clock and per CPU-second of
          this process (what one core does), and the loss (stored rows vs sent: must be 0).
  udp   - datagrams paced at --udp-rate; printed: received, stored and dropped (kernel + ours).
  alert - bursts of five FortiGate "admin login failed" from new addresses while a TCP stream runs:
          time from the fifth message sent to the alert firing in the alert engine (p50/p95).
  rsyslog - the same TCP stream into rsyslogd (imtcp -> omfile), its messages/s and per CPU-second.
Figures depend on the machine and its other load (the build machines are shared): read the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.syslog.corpus import login_failed
from collectors.syslog.models import SyslogMessage
from eams.alerts.models import Alert
from eams.components import Components
from eams.components.alerts import alert_engine_component
from eams.components.syslog import syslog_component
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.db import Database
from inventory.models import Device, DeviceRole

SENDER = [sys.executable, "-m", "bench.syslog.sender"]
BURST_RULE = "syslog-admin-login-failed-burst"


def free_port() -> int:
    import socket

    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


async def settle(counter: Any, quiet_s: float = 2.0) -> None:
    """Until `counter()` has not moved for `quiet_s` (datagrams still in flight are counted)."""
    last, since = counter(), time.monotonic()
    while time.monotonic() - since < quiet_s:
        await asyncio.sleep(0.1)
        if counter() != last:
            last, since = counter(), time.monotonic()


async def wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"benchmark: {what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(0.01)


def rows(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(SyslogMessage)) or 0)


async def ours(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    port = free_port()
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    settings = Settings(
        data_dir=folder / "data", database_url=url, secret_key="bench",
        syslog={"listen": f"127.0.0.1:{port}", "source_rate": 1e9, "source_burst": 10**9,
                "queue_size": 100_000},
    )  # fmt: skip
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        session.add(Device(name="dc-fw-01", role=DeviceRole.firewall, management_ip="127.0.0.1"))
    services = Services.from_settings(settings, db=db)
    components = Components(services, [alert_engine_component, syslog_component])
    await components.start()
    intake = services.extras["syslog"]
    result: dict[str, Any] = {"tcp": [], "tcp_cpu": [], "loss": []}
    try:
        for _ in range(args.rounds):
            before_rows, before_handled = await asyncio.to_thread(rows, db), intake.handled
            cpu, wall = time.process_time(), time.perf_counter()
            sender = await asyncio.create_subprocess_exec(
                *SENDER, "tcp", "127.0.0.1", str(port), str(args.messages)
            )
            await sender.wait()
            goal = before_handled + args.messages
            await wait(lambda goal=goal: intake.handled >= goal, 600, "the TCP stream handled")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            result["tcp"].append(args.messages / wall)
            result["tcp_cpu"].append(args.messages / cpu)
            result["loss"].append(args.messages - (await asyncio.to_thread(rows, db) - before_rows))

        received, handled = intake.listeners.counters.received["udp"], intake.handled
        sender = await asyncio.create_subprocess_exec(
            *SENDER, "udp", "127.0.0.1", str(port), str(args.udp_messages), str(args.udp_rate)
        )
        await sender.wait()
        await settle(lambda: intake.listeners.counters.received["udp"])  # datagrams still arriving
        await wait(lambda: intake.queue.empty() and not intake._in_flight, 900, "the UDP messages handled")
        result["udp_received"] = intake.listeners.counters.received["udp"] - received
        result["udp_stored"] = intake.handled - handled
        result["udp_dropped_ours"] = sum(intake.listeners.counters.dropped.values())

        # The stream under which alerts are timed runs at half the rate just measured: a stream
        # above capacity only measures the queue ahead of the burst.
        load_rate = args.alert_load_rate or max(100.0, statistics.median(result["tcp"]) / 2)
        result["alert_load_rate"] = load_rate
        background = await asyncio.create_subprocess_exec(
            *SENDER,
            "tcp",
            "127.0.0.1",
            str(port),
            str(int(load_rate * (0.2 * args.bursts + 5))),
            str(load_rate),
        )
        sent_at: dict[str, float] = {}
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for burst in range(args.bursts):
                source = f"198.51.{burst // 250}.{burst % 250 + 1}"
                for _ in range(5):
                    udp.sendto(login_failed(source), ("127.0.0.1", port))
                sent_at[source] = time.time()
                await asyncio.sleep(0.2)
        await wait(lambda: len(fired(db)) >= args.bursts, 120, "every burst alert")
        latencies = [(firing - sent_at[src]) * 1000 for src, firing in fired(db).items() if src in sent_at]
        result["alert_ms"] = sorted(latencies)
        await background.wait()
    finally:
        await components.stop()
    return result


def fired(db: Database) -> dict[str, float]:
    with db.session() as session:
        found = session.execute(
            select(Alert.labels, Alert.firing_at).where(Alert.rule_name == BURST_RULE)
        ).all()
    return {labels["src_ip"]: _epoch(at) for labels, at in found if at is not None}


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


RSYSLOG_CONF = """global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}")
action(type="omfile" file="{out}" template="RSYSLOG_FileFormat")
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def rsyslog(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    work = folder / "rsyslog"
    work.mkdir()
    port, out = free_port(), work / "out.log"
    conf = work / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(work=work, port=port, out=out))
    process = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(conf), "-i", str(work / "pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    result: dict[str, Any] = {"tcp": [], "tcp_cpu": []}
    try:
        import socket

        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("benchmark: rsyslogd did not listen")
            await asyncio.sleep(0.05)
        written = 0
        for _ in range(args.rounds):
            cpu, wall = cpu_seconds(process.pid), time.perf_counter()
            sender = await asyncio.create_subprocess_exec(
                *SENDER, "tcp", "127.0.0.1", str(port), str(args.messages)
            )
            await sender.wait()
            target = written + args.messages
            await wait(lambda target=target: lines(out) >= target, 600, "rsyslog writing the stream")
            written = target
            result["tcp"].append(args.messages / (time.perf_counter() - wall))
            result["tcp_cpu"].append(args.messages / max(1e-9, cpu_seconds(process.pid) - cpu))
    finally:
        process.terminate()
        process.wait(10)
    return result


def lines(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench syslog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages per TCP round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--udp-messages", type=int, default=50_000)
    parser.add_argument("--udp-rate", type=float, default=10_000.0, help="datagrams per second")
    parser.add_argument("--bursts", type=int, default=20, help="login-failed bursts timed to their alert")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of a fresh SQLite file")
    parser.add_argument(
        "--alert-load-rate",
        type=float,
        default=0.0,
        help="messages/s under the bursts (default: half the TCP rate)",
    )
    args = parser.parse_args(argv)
    for name in ("messages", "rounds", "udp_messages", "bursts"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.udp_rate <= 0:
        parser.error("--udp-rate must be positive")
    with tempfile.TemporaryDirectory() as folder:
        mine = await ours(args, Path(folder))
        peer = await rsyslog(args, Path(folder))
    median = statistics.median
    backend = "PostgreSQL" if args.database_url else "SQLite"
    ours_tcp, peer_tcp = median(mine["tcp"]), median(peer["tcp"])
    ours_cpu, peer_cpu = median(mine["tcp_cpu"]), median(peer["tcp_cpu"])
    print(f"syslog intake ({backend}), {args.messages} messages x {args.rounds} rounds over TCP")
    print(
        f"  eams    tcp: {ours_tcp:>9,.0f} msg/s wall, {ours_cpu:>9,.0f} msg/CPU-s, lost {sum(mine['loss'])}"
    )
    print(f"  rsyslog tcp: {peer_tcp:>9,.0f} msg/s wall, {peer_cpu:>9,.0f} msg/CPU-s (imtcp -> omfile)")
    print(f"  ratio eams/rsyslog: {ours_tcp / peer_tcp:.2f} wall, {ours_cpu / peer_cpu:.2f} per CPU-s")
    kernel = args.udp_messages - mine["udp_received"]
    print(
        f"  eams    udp at {args.udp_rate:,.0f}/s: sent {args.udp_messages}, "
        f"received {mine['udp_received']}, "
        f"stored {mine['udp_stored']}, dropped {args.udp_messages - mine['udp_stored']} "
        f"(ours {mine['udp_dropped_ours']}, kernel {kernel})"
    )
    alert = mine["alert_ms"]
    print(
        f"  message to alert ({len(alert)} bursts under {mine['alert_load_rate']:,.0f} msg/s over TCP): "
        f"p50 {percentile(alert, 0.5):.0f} ms, "
        f"p95 {percentile(alert, 0.95):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
