"""Helpers shared by the sink tests."""

from __future__ import annotations

from collectors.samples import Sample
from collectors.sinks.influx import InfluxTarget, InfluxWriter, Outcome, WriteResult
from collectors.sinks.lineprotocol import LineEncoder


class RecordingWriter:
    """The real influxdb-client writer, remembering each body the server accepted, in order."""

    def __init__(self, target: InfluxTarget) -> None:
        self._writer = InfluxWriter(target)
        self.target = target
        self.accepted: list[bytes] = []

    def write(self, body: bytes) -> WriteResult:
        result = self._writer.write(body)
        if result.outcome is Outcome.written:
            self.accepted.append(body)
        return result

    def close(self) -> None:
        self._writer.close()

    def accepted_lines(self) -> list[str]:
        return [line for body in self.accepted for line in body.decode().split("\n")]


def expected_lines(polls: list[list[Sample]]) -> list[str]:
    encoder = LineEncoder()
    return [line for samples in polls for line in encoder.encode_lines(samples)]


def target(url: str, timeout: float = 5.0) -> InfluxTarget:
    return InfluxTarget(
        url=url, token="not-checked-by-victoria-metrics", org="eams", bucket="eams", timeout=timeout
    )
