"""The sweep: every address, each credentials profile in order (the first that answers wins),
at most `concurrency` addresses at once and at most `rate` new addresses per second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from collectors.discovery.reader import SYSTEM_OIDS, WALKED, DeviceReport, fill_from_walks, system_report
from collectors.snmp.engine import Credentials, Endpoint, Engine, SnmpAuthError, SnmpError, SnmpTimeout
from collectors.snmp.profile import ProfileSet


@dataclass(frozen=True, slots=True)
class Probe:
    """One credentials profile to try: its name (for the report), secrets and port."""

    name: str
    credentials: Credentials
    port: int = 161


@dataclass(frozen=True, slots=True)
class SweepSettings:
    concurrency: int = 64
    rate: float = 100.0  # addresses started per second
    timeout_s: float = 1.0
    retries: int = 0


@dataclass
class SweepResult:
    total: int
    reports: list[DeviceReport] = field(default_factory=list)
    # address -> what went wrong beyond silence (an agent that rejected every v3 user, a broken walk)
    errors: dict[str, str] = field(default_factory=dict)
    silent: list[str] = field(default_factory=list)
    done: int = 0


# Called after each address: (address, report or None, error text or None).
Progress = Callable[[str, DeviceReport | None, str | None], None]


class _RateLimit:
    """Spaces starts 1/rate seconds apart (a rate of 0 or less means no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_start = time.monotonic()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            delay = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


async def probe_address(
    engine: Engine, address: str, probes: Sequence[Probe], settings: SweepSettings, profiles: ProfileSet
) -> tuple[DeviceReport | None, str | None]:
    """(report, None) when a profile answered; (None, error) when some agent refused us;
    (None, None) when nothing answered at all."""
    refused: list[str] = []
    for probe in probes:
        endpoint = Endpoint(
            host=address, port=probe.port, timeout_s=settings.timeout_s, retries=settings.retries
        )
        try:
            session = await engine.open(endpoint, probe.credentials)
        except SnmpTimeout:
            continue
        except SnmpError as exc:  # v3 engine discovery answered, but refused us
            refused.append(f"{probe.name}: {exc}")
            continue
        try:
            try:
                answer = await session.get(SYSTEM_OIDS)
            except SnmpTimeout:
                continue
            except SnmpAuthError as exc:
                refused.append(f"{probe.name}: {exc}")
                continue
            system = {vb.oid: vb for vb in answer if vb.exists}
            if not system:
                continue
            report = system_report(address, probe.name, system, profiles)
            try:
                fill_from_walks(report, await session.bulk_walk(WALKED))
            except SnmpError as exc:
                return report, f"{probe.name}: answered, but walking its tables failed: {exc}"
            return report, None
        except SnmpError as exc:
            refused.append(f"{probe.name}: {exc}")
        finally:
            await session.close()
    return None, "; ".join(refused) or None


async def sweep(
    engine: Engine,
    addresses: Sequence[str],
    probes: Sequence[Probe],
    settings: SweepSettings,
    progress: Progress | None = None,
    profiles: ProfileSet | None = None,
) -> SweepResult:
    profiles = profiles or ProfileSet.load()
    result = SweepResult(total=len(addresses))
    limit = asyncio.Semaphore(max(1, settings.concurrency))
    rate = _RateLimit(settings.rate)

    async def one(address: str) -> None:
        async with limit:
            await rate.wait()
            try:
                report, error = await probe_address(engine, address, probes, settings, profiles)
            except (SnmpError, OSError, ValueError) as exc:
                report, error = None, str(exc) or type(exc).__name__
        if report is not None:
            result.reports.append(report)
        if error is not None:
            result.errors[address] = error
        elif report is None:
            result.silent.append(address)
        result.done += 1
        if progress is not None:
            progress(address, report, error)

    await asyncio.gather(*(one(address) for address in addresses))
    order = {address: position for position, address in enumerate(addresses)}
    result.reports.sort(key=lambda r: order.get(r.address, 0))
    return result
