"""The poller over real agents: re-indexing, rates across a counter wrap, a dead agent."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from collectors.samples import Sample
from collectors.scheduler import PollScheduler
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import DeviceStatus, Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from collectors.snmp.rates import CounterRates
from tests.support.peers import free_udp_port
from tests.support.snmp_agents import Agent


@pytest.fixture
def silent_agent() -> Iterator[int]:
    """A UDP port that swallows every request: an agent behind a firewall that drops packets
    (a closed port would answer ICMP 'unreachable', which engines may report at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        yield int(sink.getsockname()[1])


class FakeClock:
    """Poll times for rates, so the expected rate is exact (no wall-clock in assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def interfaces(samples: list[Sample]) -> dict[str, Sample]:
    return {s.tags["ifIndex"]: s for s in samples if s.measurement == "interface"}


async def test_reindex_when_a_row_appears_and_rates_across_a_counter_wrap(
    engine_name: str, snmpsim: Agent
) -> None:
    # lab/reindex-a then lab/reindex-b are the same server 60 s apart: an interface was added
    # (index 3, eth1), eth0's 32-bit ifInErrors wrapped and lo's 64-bit ifHCInOctets was reset.
    clock = FakeClock()
    poller = Poller(make_engine(engine_name), ProfileSet.load(), clock=clock)
    endpoint = Endpoint(snmpsim.host, snmpsim.port, timeout_s=5)
    tags = {"role": "server", "site": "DC", "agency": "Sở TT&TT"}
    try:
        first = await poller.poll(
            PollTarget("lab-a", endpoint, Credentials(community="lab/reindex-a"), tags=tags)
        )
        clock.now += 60
        second = await poller.poll(
            PollTarget("lab-a", endpoint, Credentials(community="lab/reindex-b"), tags=tags)
        )
        reindexed = poller.state_of(PollTarget("lab-a", endpoint, Credentials())).reindexed
    finally:
        await poller.close()

    before, after = interfaces(first.samples), interfaces(second.samples)
    assert set(before) == {"1", "2"}
    assert set(after) == {"1", "2", "3"}
    assert after["3"].tags["ifName"] == "eth1"  # labelled at once: the device was re-indexed
    assert reindexed == 1
    assert after["2"].tags == {**tags, "device": "lab-a", "ifIndex": "2", "ifName": "eth0", "ifDescr": "eth0"}

    assert before["2"].rates == {}  # a first value has no rate
    assert after["2"].fields["in_errors"] == 10  # raw counter, as the agent said
    assert after["2"].rates["in_errors"] == pytest.approx(16 / 60)  # 4294967290 -> 10 wrapped: +16
    assert after["2"].rates["in_octets"] == pytest.approx(600_000 / 60)
    assert "in_octets" not in after["1"].rates  # a 64-bit counter that went down was reset
    assert "in_octets" in after["1"].counters


def test_counter_rates_are_wrap_and_restart_aware() -> None:
    rates = CounterRates()
    assert rates.rate("k", 4_294_967_000, at=0.0, width=32) is None
    assert rates.rate("k", 704, at=10.0, width=32) == pytest.approx(100.0)  # wrapped by 1000
    assert rates.rate("k", 1704, at=20.0, width=32, reset=True) is None  # device restarted
    assert rates.rate("k", 2704, at=30.0, width=32) == pytest.approx(100.0)
    assert rates.rate("big", 10, at=0.0, width=64) is None
    assert rates.rate("big", 5, at=1.0, width=64) is None  # 64-bit counters reset, never wrap


def test_forgetting_a_device_touches_only_its_own_counters() -> None:
    # Bug found by bench/scale: each forget scanned every device's keys, so closing a poller of
    # 10,000 devices (every service stop) took minutes with the event loop blocked.
    compared: list[object] = []

    class Name(str):
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            compared.append(other)
            return str.__eq__(self, other)

    rates = CounterRates()
    for n in range(1_000):
        rates.rate((f"sw-{n}", "ifHCInOctets", "1"), 10, at=0.0)
    rates.rate(("sw-1", "ifHCOutOctets", "1"), 10, at=0.0)
    rates.forget(Name("sw-1"))
    assert len(compared) < 10  # not one comparison per key of every device
    assert len(rates) == 999
    assert rates.rate(("sw-1", "ifHCInOctets", "1"), 20, at=10.0) is None  # a first value again
    assert rates.rate(("sw-2", "ifHCInOctets", "1"), 110, at=10.0) == pytest.approx(10.0)
    rates.forget("sw-404")  # never seen: nothing to do


async def test_a_dead_agent_times_out_without_stalling_the_others(
    engine_name: str, snmpd: Agent, silent_agent: int
) -> None:
    published: list[str] = []

    async def publish(samples: list[Sample]) -> None:
        published.append(samples[-1].tags["device"])

    scheduler = PollScheduler(Poller(make_engine(engine_name), ProfileSet.load()), publish, spread=False)
    dead = PollTarget("dead", Endpoint("127.0.0.1", silent_agent, timeout_s=1.0, retries=1), Credentials())
    live = [PollTarget(f"live-{n}", Endpoint(snmpd.host, snmpd.port), Credentials()) for n in range(3)]
    scheduler.sync([dead, *live])
    try:
        results = {r.status.device: r.status for r in await scheduler.poll_all_once()}
    finally:
        await scheduler.stop()

    assert published[-1] == "dead"  # every live device was published while the dead one waited
    assert sorted(published[:-1]) == ["live-0", "live-1", "live-2"]
    assert results["dead"].reachable is False and results["dead"].timeouts == 1
    assert "did not answer" in (results["dead"].message or "")
    assert all(results[t.name].reachable and results[t.name].varbinds > 50 for t in live)


async def test_backoff_skips_an_unreachable_device_after_repeated_failures() -> None:
    published: list[list[Sample]] = []

    async def publish(samples: list[Sample]) -> None:
        published.append(samples)

    scheduler = PollScheduler(Poller(make_engine("pysnmp"), ProfileSet.load()), publish, spread=False)
    dead = PollTarget("dead", Endpoint("127.0.0.1", free_udp_port(), timeout_s=0.2, retries=0), Credentials())
    scheduler.sync([dead])
    schedule = scheduler.devices["dead"]
    try:
        await scheduler._poll_job("dead")
        assert schedule.failures == 1 and schedule.not_before == 0.0  # one miss is not a pattern
        await scheduler._poll_job("dead")
        assert schedule.failures == 2 and schedule.not_before > 0.0
        await scheduler._poll_job("dead")  # inside the backoff window: skipped, not polled
    finally:
        await scheduler.stop()
    assert schedule.polls == 2 and schedule.skipped_backoff == 1
    assert [s[-1].fields["reachable"] for s in published] == [False, False]


async def test_jobs_follow_the_target_list_and_are_spread_over_the_interval(snmpd: Agent) -> None:
    async def publish(samples: list[Sample]) -> None:
        return None

    scheduler = PollScheduler(Poller(make_engine("pysnmp"), ProfileSet.load()), publish)
    await scheduler.start()
    try:
        targets = [
            PollTarget(f"dev-{n}", Endpoint(snmpd.host, snmpd.port), Credentials(), interval_s=60)
            for n in range(50)
        ]
        scheduler.sync(targets)
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {f"poll:dev-{n}" for n in range(50)}
        offsets = sorted(j.next_run_time.timestamp() for j in jobs.values())
        assert offsets[-1] - offsets[0] > 30  # spread across the minute, not all at once
        scheduler.sync(targets[:10])
        await asyncio.sleep(0)
        assert len(scheduler.scheduler.get_jobs()) == 10 and len(scheduler.devices) == 10
    finally:
        await scheduler.stop()


async def test_a_poll_still_running_when_the_next_is_due_counts_as_missed(silent_agent: int) -> None:
    statuses: list[tuple[bool, int]] = []

    async def publish(samples: list[Sample]) -> None:
        return None

    async def status_sink(status: DeviceStatus, missed: int) -> None:
        statuses.append((status.reachable, missed))

    scheduler = PollScheduler(
        Poller(make_engine("snmpkit"), ProfileSet.load()), publish, status_sink=status_sink, spread=False
    )
    # Polls every second, but each poll waits 2 x 1.5 s for a silent agent: the next run is due
    # while this one is still going.
    slow = PollTarget(
        "slow", Endpoint("127.0.0.1", silent_agent, timeout_s=1.5, retries=1), Credentials(), interval_s=1
    )
    await scheduler.start()
    scheduler.sync([slow])
    try:
        while not statuses:
            await asyncio.sleep(0.2)
    finally:
        await scheduler.stop()
    reachable, missed = statuses[0]
    assert reachable is False
    assert missed >= 1 and scheduler.stats()["missed"] >= 1
