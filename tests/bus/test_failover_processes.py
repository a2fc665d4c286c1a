"""Two `eams serve` processes on one PostgreSQL database, both consuming the bus into a real
VictoriaMetrics: one leads every partition; it is killed with SIGKILL; the other takes the
partitions over and the next poll's samples arrive, each once. Prints the takeover time."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from collectors.bus.config import BusConfig
from collectors.bus.publisher import BusPublisher
from collectors.samples import Sample
from collectors.sinks.spool import Spool
from tests.support.database import TEST_DATABASE_ENV, backend, scratch_database_url
from tests.support.nats import NatsServer
from tests.support.serve import serving
from tests.support.tsdb import VictoriaMetrics

pytestmark = [pytest.mark.peer("nats-server"), pytest.mark.peer("victoria-metrics")]

PARTITIONS = 4
DEVICES = 40
LEADS_ALL = f"leading bus partitions {list(range(PARTITIONS))}"


def points(vm: VictoriaMetrics) -> dict[str, list[int]]:
    series = vm.export('{__name__="collector_reachable"}')
    return {one["metric"]["device"]: one["timestamps"] for one in series}


async def publish_round(config: BusConfig, spool: Path, time_ns: int) -> None:
    publisher = BusPublisher(config, Spool(spool, fsync=False), source="test")
    samples = [
        Sample("collector", {"device": f"sw-{d}"}, {"reachable": True}, time_ns=time_ns, device_id=d)
        for d in range(DEVICES)
    ]
    await publisher.consume_samples(samples)
    await publisher.seal()
    while await publisher.publish_one():
        pass
    await publisher.stop(drain_timeout=0)


def wait(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """A readiness wait with a generous ceiling, not a timed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.1)


def test_the_survivor_consumes_after_the_leading_instance_is_killed(tmp_path: Path, nats: NatsServer) -> None:
    if backend() != "postgresql":
        pytest.skip(f"two service instances need PostgreSQL: set {TEST_DATABASE_ENV}")
    prefix = nats.stream.lower()
    bus = BusConfig(
        url=nats.url, stream=nats.stream, subject_prefix=prefix, consumer=prefix, partitions=PARTITIONS
    )
    vm = VictoriaMetrics(tmp_path / "vm", dedup=False)
    vm.start()
    try:
        with scratch_database_url(tmp_path) as database_url, ExitStack() as stack:
            settings = dict(
                EAMS_INFLUX_URL=vm.url, EAMS_BUS_ENABLED="true", EAMS_BUS_URL=nats.url,
                EAMS_BUS_STREAM=nats.stream, EAMS_BUS_SUBJECT_PREFIX=prefix, EAMS_BUS_CONSUMER=prefix,
                EAMS_BUS_PARTITIONS=str(PARTITIONS), EAMS_BUS_LEADERSHIP_INTERVAL_S="0.5",
                EAMS_SNMP_ENABLED="false",
            )  # fmt: skip
            a = stack.enter_context(serving(tmp_path, "a", database_url, **settings))
            wait(lambda: LEADS_ALL in a.log(), "a leads every partition")
            b = stack.enter_context(serving(tmp_path, "b", database_url, **settings))  # b stands by

            first_ms = time.time_ns() // 1_000_000  # VictoriaMetrics drops points outside its retention
            asyncio.run(publish_round(bus, tmp_path / "spool", first_ms * 1_000_000))
            wait(lambda: len(points(vm)) == DEVICES, "the first round stored")
            assert "leading bus partitions" not in b.log()  # standing by

            a.kill()
            killed = time.monotonic()
            wait(lambda: LEADS_ALL in b.log(), "b takes every partition")
            print(f"takeover {time.monotonic() - killed:.2f} s after kill -9 (leadership interval 0.5 s)")

            second_ms = time.time_ns() // 1_000_000
            asyncio.run(publish_round(bus, tmp_path / "spool", second_ms * 1_000_000))
            wait(lambda: all(len(t) >= 2 for t in points(vm).values()), "the second round stored")
            assert b.process.poll() is None
        stored = points(vm)
        assert len(stored) == DEVICES
        assert all(t == [first_ms, second_ms] for t in stored.values())  # each round once
        assert re.search(r"Traceback", b.log()) is None
    finally:
        vm.stop()
