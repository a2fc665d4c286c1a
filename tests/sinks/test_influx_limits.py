"""The sink against a server that sets limits: too large a request (413) is split and sent in
halves, and "slow down" (429 with Retry-After) is honoured over the sink's own shorter backoff.

The server is a small real HTTP server started here that speaks InfluxDB's /api/v2/write (the
requests come from influxdb-client over TCP). Neither InfluxDB 1.x nor VictoriaMetrics here can
be told to answer 413 or Retry-After on demand, so this one does, and records what it accepted."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from collectors.samples import Sample
from collectors.sinks.influx import SpoolingInfluxSink, retry_after_seconds
from collectors.sinks.spool import Spool
from tests.sinks import realistic
from tests.sinks.support import RecordingWriter, expected_lines, target
from tests.support.peers import free_port


class LimitedInflux:
    """Accepts writes up to `max_body` bytes (413 above), after answering `throttle` requests
    with 429 and `Retry-After: retry_after`."""

    def __init__(self, max_body: int = 1 << 30, throttle: int = 0, retry_after: str = "30") -> None:
        self.port = free_port()
        self.max_body = max_body
        self.throttle = throttle
        self.retry_after = retry_after
        self.bodies: list[bytes] = []
        self.answers: list[int] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        limits = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if limits.throttle > 0:
                    limits.throttle -= 1
                    self._answer(429, b'{"code":"too many requests"}', {"Retry-After": limits.retry_after})
                elif len(body) > limits.max_body:
                    self._answer(413, b'{"code":"request too large"}')
                else:
                    limits.bodies.append(body)
                    self._answer(204, b"")

            def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                limits.answers.append(status)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def lines(self) -> list[str]:
        return [line for body in self.bodies for line in body.decode().split("\n")]


@pytest.fixture
def limited() -> Iterator[LimitedInflux]:
    server = LimitedInflux()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def sinks() -> AsyncIterator[list[SpoolingInfluxSink]]:
    made: list[SpoolingInfluxSink] = []
    yield made
    for sink in made:
        if sink.running:
            await sink.stop()


def make_sink(spool_dir: Path, writer: RecordingWriter) -> SpoolingInfluxSink:
    return SpoolingInfluxSink(
        Spool(spool_dir),
        writer,
        flush_interval=60,
        backoff_initial=0.05,
        backoff_max=0.2,
        state_interval=None,
    )


async def test_a_batch_the_server_finds_too_large_is_split_and_every_point_arrives_in_order(
    tmp_path: Path, limited: LimitedInflux, sinks: list[SpoolingInfluxSink]
) -> None:
    polls = [realistic.poll(n) for n in range(3)]
    whole = "\n".join(expected_lines(polls)).encode()
    limited.max_body = len(whole) // 5  # the server takes a fifth of the batch at most
    sink = make_sink(tmp_path / "spool", RecordingWriter(target(limited.url)))
    sinks.append(sink)
    await sink.start()
    for poll in polls:
        await sink.consume_samples(poll)
    await sink.flush()
    state = sink.state()
    assert 413 in limited.answers
    assert limited.lines() == expected_lines(polls), "every point, once, in order"
    assert all(len(body) <= limited.max_body for body in limited.bodies)
    assert state.rejected_batches == 0 and state.spooled_batches == 0


async def test_a_single_line_larger_than_the_servers_limit_is_dropped_and_the_rest_written(
    tmp_path: Path, limited: LimitedInflux, sinks: list[SpoolingInfluxSink]
) -> None:
    huge = Sample(
        "interface", {"device": "sw-x", "ifAlias": "x" * 3000}, {"v": 1}, time_ns=realistic.START_NS
    )
    poll = [*realistic.poll(0)[:3], huge, *realistic.poll(0)[3:]]
    lines = expected_lines([poll])
    [longest] = [line for line in lines if len(line) > 2000]
    limited.max_body = 2000  # every line but the huge one fits
    sink = make_sink(tmp_path / "spool", RecordingWriter(target(limited.url)))
    sinks.append(sink)
    await sink.start()
    await sink.consume_samples(poll)
    await sink.flush()
    assert limited.lines() == [line for line in lines if line != longest]
    assert sink.state().rejected_batches == 1


async def test_retry_after_is_honoured_over_a_shorter_backoff(
    tmp_path: Path, limited: LimitedInflux, sinks: list[SpoolingInfluxSink]
) -> None:
    limited.throttle, limited.retry_after = 1, "30"
    sink = make_sink(tmp_path / "spool", RecordingWriter(target(limited.url)))
    sinks.append(sink)
    await sink.start()
    await sink.consume_samples(realistic.poll(0))
    await sink.flush()
    await sink.consume_samples(realistic.poll(1))
    await sink.flush()
    state = sink.state()
    assert limited.answers == [429], "the second batch waits behind the first; nothing was retried"
    assert state.spooled_batches == 2
    assert state.retry_in is not None and state.retry_in > 20, "30 s asked for, 0.2 s backoff cap"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
