"""The spooling InfluxDB sink against real servers: influxdb-client writing to VictoriaMetrics
(read back through /api/v1/export), an outage in the middle of polling, a server that never
answers, a server without the v2 API, no server at all, and a restart in between."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from collectors.samples import Sample
from collectors.sinks.influx import InfluxWriter, SpoolingInfluxSink
from collectors.sinks.spool import Spool
from tests.sinks import realistic
from tests.sinks.support import RecordingWriter, expected_lines, target
from tests.support.peers import until
from tests.support.tsdb import InfluxDB1, VictoriaMetrics, influxdb1

pytestmark = pytest.mark.peer("victoria-metrics")


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    yield server
    server.stop()


def make_sink(spool_dir: Path, writer: RecordingWriter | InfluxWriter | None) -> SpoolingInfluxSink:
    return SpoolingInfluxSink(
        Spool(spool_dir),
        writer,
        flush_interval=0.05,
        backoff_initial=0.05,
        backoff_max=0.2,
        state_interval=None,
    )


@pytest.fixture
async def started() -> AsyncIterator[list[SpoolingInfluxSink]]:
    """Sinks a test starts; stopped at the end even if the test fails."""
    sinks: list[SpoolingInfluxSink] = []
    yield sinks
    for sink in sinks:
        if sink.running:
            await sink.stop()


def assert_every_poll_arrived_once(vm: VictoriaMetrics, polls: int, devices: int, interfaces: int) -> None:
    series = vm.export('{__name__="interface_ifHCInOctets"}')
    assert len(series) == devices * interfaces
    want_times = [(realistic.START_NS + n * realistic.INTERVAL_NS) // 1_000_000 for n in range(polls)]
    for one in series:
        assert one["timestamps"] == want_times  # every poll, once each
        device = int(one["metric"]["device"].rsplit("-", 1)[1])
        interface = int(one["metric"]["ifName"].rsplit("/", 1)[1]) - 1
        assert one["values"] == [
            10_000_000 * (device + 1) + n * 1_250_000 * (interface + 1) for n in range(polls)
        ]
    cpu = vm.export('{__name__="cpu_usage"}')
    assert sorted(len(one["values"]) for one in cpu) == [polls] * devices


async def test_samples_are_written_through_influxdb_client_and_read_back(
    vm: VictoriaMetrics, tmp_path: Path, started: list[SpoolingInfluxSink]
) -> None:
    writer = RecordingWriter(target(vm.url))
    sink = make_sink(tmp_path / "spool", writer)
    started.append(sink)
    await sink.start()
    polls = realistic.polls(3)
    for samples in polls:
        await sink.consume_samples(samples)
    await sink.flush()

    state = sink.state()
    assert state.written_points == sum(len(p) for p in polls)
    assert state.spooled_total == 0 and state.last_error is None and state.last_success_at is not None
    assert writer.accepted_lines() == expected_lines(polls)
    assert_every_poll_arrived_once(vm, polls=3, devices=3, interfaces=4)
    aliases = {one["metric"].get("ifAlias") for one in vm.export('{__name__="interface_ifHighSpeed"}')}
    assert {
        "Uplink lên Sở Y tế, tầng 3",
        "Cổng dịch vụ công (DVC) = VLAN 20",
        'Kết nối "LGSP" tỉnh',
    } <= aliases


async def test_an_outage_during_polling_loses_nothing_and_keeps_the_order(
    vm: VictoriaMetrics, tmp_path: Path, started: list[SpoolingInfluxSink], caplog: pytest.LogCaptureFixture
) -> None:
    writer = RecordingWriter(target(vm.url))
    sink = make_sink(tmp_path / "spool", writer)
    started.append(sink)
    await sink.start()
    polls = realistic.polls(9)

    for samples in polls[:3]:
        await sink.consume_samples(samples)
        await sink.flush()
    await asyncio.to_thread(vm.stop)
    with caplog.at_level(logging.WARNING):
        for samples in polls[3:6]:  # InfluxDB is down: these go to the spool
            await sink.consume_samples(samples)
            await sink.flush()
    during = sink.state()
    assert during.spooled_batches >= 1
    assert during.last_error is not None and "Connection refused" in during.last_error
    assert "spooling" in caplog.text

    await asyncio.to_thread(vm.start)  # same port, same data
    for samples in polls[6:]:
        await sink.consume_samples(samples)
        await sink.flush()
    await until(lambda: sink.state().spooled_batches == 0, "replaying the spool")
    await sink.stop()

    after = sink.state()
    assert after.replayed_batches >= during.spooled_batches
    assert after.dropped_batches == 0 and after.rejected_batches == 0
    # Delivered in the order sampled, each line exactly once ...
    assert writer.accepted_lines() == expected_lines(polls)
    # ... and the server has every point.
    assert_every_poll_arrived_once(vm, polls=9, devices=3, interfaces=4)


async def test_a_server_that_never_answers_times_out_and_the_batch_is_spooled(
    vm: VictoriaMetrics, tmp_path: Path, started: list[SpoolingInfluxSink]
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        sink = make_sink(
            tmp_path / "spool", InfluxWriter(target(f"http://127.0.0.1:{silent.getsockname()[1]}", 0.3))
        )
        started.append(sink)
        await sink.start()
        polls = realistic.polls(2)
        for samples in polls:
            await sink.consume_samples(samples)
            await sink.flush()
        state = sink.state()
        assert state.written_points == 0
        assert state.spooled_batches == 2
        assert state.last_error is not None and "timed out" in state.last_error.lower()

    # Pointed at a server that works, the sink replays what it spooled.
    writer = RecordingWriter(target(vm.url))
    sink.configure(writer)
    await until(lambda: sink.state().spooled_batches == 0, "replaying the spool")
    assert writer.accepted_lines() == expected_lines(polls)
    assert_every_poll_arrived_once(vm, polls=2, devices=3, interfaces=4)


async def test_without_influxdb_samples_wait_in_the_spool_and_a_later_configuration_replays_them(
    vm: VictoriaMetrics, tmp_path: Path, started: list[SpoolingInfluxSink]
) -> None:
    polls = realistic.polls(4)
    embedded = make_sink(tmp_path / "spool", None)
    await embedded.start()
    for samples in polls:
        await embedded.consume_samples(samples)
    await embedded.stop()
    state = embedded.state()
    assert not state.configured and state.written_points == 0
    assert state.spooled_batches >= 1 and state.spooled_bytes > 0
    # Spooled batches are compressed: the outage the bound covers is several times longer.
    assert state.spooled_bytes < len("\n".join(expected_lines(polls)).encode()) / 2

    # A new instance (the service restarted with EAMS_INFLUX_URL set) replays the earlier spool.
    writer = RecordingWriter(target(vm.url))
    configured = make_sink(tmp_path / "spool", writer)
    started.append(configured)
    await configured.start()
    await until(lambda: configured.state().spooled_batches == 0, "replaying the spool")
    assert writer.accepted_lines() == expected_lines(polls)
    assert_every_poll_arrived_once(vm, polls=4, devices=3, interfaces=4)


async def test_samples_published_after_stop_wait_in_the_spool_for_the_next_start(
    vm: VictoriaMetrics, tmp_path: Path, started: list[SpoolingInfluxSink]
) -> None:
    # A producer finishing late (a poll that was in flight at shutdown) publishes after stop():
    # no ticker or sender is left, so the samples must go to the durable spool, not to memory.
    polls = realistic.polls(3)
    first = make_sink(tmp_path / "spool", RecordingWriter(target(vm.url)))
    await first.start()
    await first.consume_samples(polls[0])
    await first.stop()
    for samples in polls[1:]:
        await first.consume_samples(samples)
    state = first.state()
    assert state.spooled_batches == 2 and state.queued_bytes == 0
    assert state.as_dict()["spooled_after_stop"] == 2

    # The next start replays them.
    writer = RecordingWriter(target(vm.url))
    second = make_sink(tmp_path / "spool", writer)
    started.append(second)
    await second.start()
    await until(lambda: second.state().spooled_batches == 0, "replaying the spool")
    assert writer.accepted_lines() == expected_lines(polls[1:])
    assert_every_poll_arrived_once(vm, polls=3, devices=3, interfaces=4)


async def test_a_server_without_the_v2_write_api_keeps_the_data_spooled_and_says_why(
    tmp_path: Path, started: list[SpoolingInfluxSink]
) -> None:
    with influxdb1(tmp_path / "influxd") as old:  # InfluxDB 1.6: /write only, 404 on /api/v2/write
        assert isinstance(old, InfluxDB1)
        sink = make_sink(tmp_path / "spool", InfluxWriter(target(old.url)))
        started.append(sink)
        await sink.start()
        await sink.consume_samples(realistic.poll(0))
        await sink.flush()
        state = sink.state()
        assert state.spooled_batches == 1 and state.rejected_batches == 0
        assert state.last_error is not None and "HTTP 404" in state.last_error
        assert "InfluxDB before 1.8 has no /api/v2/write" in state.last_error


async def test_a_batch_the_server_refuses_as_bad_data_is_dropped_counted_and_not_retried(
    tmp_path: Path, started: list[SpoolingInfluxSink], caplog: pytest.LogCaptureFixture
) -> None:
    # VictoriaMetrics answers 400 to a line longer than -influx.maxLineSize: retrying cannot help.
    strict = VictoriaMetrics(tmp_path / "vm", extra_args=("-influx.maxLineSize=2000",))
    strict.start()
    try:
        writer = RecordingWriter(target(strict.url))
        sink = make_sink(tmp_path / "spool", writer)
        started.append(sink)
        await sink.start()
        huge = Sample(
            "interface", {"device": "sw-x", "ifAlias": "x" * 3000}, {"v": 1}, time_ns=realistic.START_NS
        )
        with caplog.at_level(logging.ERROR):
            await sink.consume_samples([huge])
            await sink.flush()
        await sink.consume_samples(realistic.poll(0))
        await sink.flush()
        state = sink.state()
        assert state.rejected_batches == 1 and state.spooled_total == 0
        assert state.last_error is not None and "HTTP 400" in state.last_error
        assert "rejected a batch of 1 points" in caplog.text
        assert writer.accepted_lines() == expected_lines([realistic.poll(0)])
    finally:
        strict.stop()


async def test_the_sink_reports_its_state_as_a_collector_point(tmp_path: Path) -> None:
    sink = make_sink(tmp_path / "spool", None)
    await sink.consume_samples(realistic.poll(0))
    await sink.flush()  # not started: nothing delivered yet
    point = sink.state_sample()
    assert point.measurement == "collector"
    assert point.tags["component"] == "influx_sink"
    assert point.fields["configured"] is False
    assert point.fields["queued_bytes"] > 0
    assert point.fields["last_error"] == ""
    await sink.stop()  # never started: stop() still spools what was consumed
    await sink.stop()  # a second stop changes nothing
    assert sink.state().spooled_batches == 1
    again = sink.state_sample()
    assert again.fields["spooled_batches"] == 1 and again.fields["queued_bytes"] == 0
    assert {type(v) for k, v in point.fields.items()} == {type(v) for k, v in again.fields.items()}
