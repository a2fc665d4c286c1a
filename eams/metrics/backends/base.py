"""What a metrics backend gives the query service: raw points, and the few things only it can do
fast (the store's rollups and block statistics). Rates, utilisation and steps are computed by the
service from what the backend returns, the same way for every backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from collectors.sinks.store.reader import RawSeries
from collectors.sinks.store.steps import Steps

Entity = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, Entity]  # (device, sorted entity tags)

LOOKBACK_NS = 3600 * 1_000_000_000  # how far back the point before a range is looked for (a rate's first)


class BackendError(Exception):
    """The backend cannot answer (InfluxDB down, store missing): a sentence for the operator."""


def key_of(device: str, entity: dict[str, str]) -> SeriesKey:
    return device, tuple(sorted(entity.items()))


@dataclass(frozen=True)
class Latest:
    time_ns: int
    value: object
    rate: float | None  # counters: per-second rate between the last two points


@dataclass(frozen=True)
class Window:
    """A series' count and sum of one field (a counter's rates) over a window."""

    count: int
    sum: float


class Backend(Protocol):
    name: str

    def raw(
        self,
        measurement: str,
        fields: list[str],
        devices: list[str],
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> dict[SeriesKey, dict[str, RawSeries]]: ...

    def latest(
        self, measurement: str, fields: list[str], devices: list[str]
    ) -> dict[SeriesKey, dict[str, Latest]]: ...


class Rollups(Protocol):
    """Only the embedded store: buckets of 300 or 3600 s built from its own rollups."""

    def raw_since_ns(self) -> int: ...

    def buckets(
        self,
        level: int,
        measurement: str,
        fields: list[str],
        devices: list[str],
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> dict[SeriesKey, dict[str, list[Steps]]]: ...
