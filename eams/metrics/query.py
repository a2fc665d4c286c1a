"""What a metrics query asks for, checked before any backend is touched.

Every name comes from the measurement schema (collectors/schema.py): a measurement, field or
entity tag it does not declare is refused with the parameter's name, so no backend is ever asked
for something no collector writes, and no user text becomes part of a query. Times are aligned
to the step from the epoch, as InfluxQL's `GROUP BY time()` aligns them.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, datetime

from collectors.schema import FieldSchema, MeasurementSchema, Schema
from collectors.sinks.store.config import MetricsConfig, parse_duration

NS = 1_000_000_000
DEFAULT_STEPS = 300


class QueryError(ValueError):
    """A bad parameter; `field` names it (the API answers 400 with it, the CLI exits with it)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Device:
    """A device the caller may read: the inventory's id and name (the `device` tag)."""

    id: int | None
    name: str


@dataclass(frozen=True)
class TimeRange:
    start_ns: int
    end_ns: int
    step_ns: int

    @property
    def steps(self) -> int:
        return max(1, math.ceil((self.end_ns - self.start_ns) / self.step_ns))

    def aligned(self, step_ns: int) -> TimeRange:
        """The same range with a coarser step (a multiple of the stored buckets), re-aligned."""
        return TimeRange(self.start_ns // step_ns * step_ns, self.end_ns, step_ns)


def parse_time(text: str, name: str) -> int:
    """Unix seconds (`1767225600`, `1767225600.5`) or ISO 8601 (`2026-01-01T07:00:00+07:00`;
    without an offset it is UTC), in ns."""
    value = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return int(float(value) * NS)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(
            f"{name}={text!r} is neither unix seconds nor an ISO 8601 time such as 2026-01-01T07:00:00+07:00",
            name,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * NS)


def seconds(text: str, name: str) -> float:
    try:
        value = parse_duration(text)
    except ValueError as error:
        raise QueryError(f"{name}: {error}", name) from None
    if not value > 0:
        raise QueryError(f"{name} must be longer than zero", name)
    return value


def time_range(
    config: MetricsConfig,
    *,
    since: str | None,
    start: str | None,
    end: str | None,
    step: str | None,
    steps: int | None,
    now_ns: int | None = None,
) -> TimeRange:
    now_ns = time.time_ns() if now_ns is None else now_ns
    if since is not None and start is not None:
        raise QueryError("give either since or start, not both", "since")
    end_ns = parse_time(end, "end") if end is not None else now_ns
    if start is not None:
        start_ns = parse_time(start, "start")
    else:
        start_ns = end_ns - int(seconds(since or "1h", "since") * NS)
    if start_ns >= end_ns:
        raise QueryError("start must be before end", "start")
    if step is not None and steps is not None:
        raise QueryError("give either step or steps, not both", "step")
    if step is not None:
        step_ns = int(seconds(step, "step") * NS)
        if step_ns < NS:
            raise QueryError("step must be at least 1s", "step")
    else:
        wanted = DEFAULT_STEPS if steps is None else steps
        if wanted < 1:
            raise QueryError("steps must be at least 1", "steps")
        if wanted > config.max_steps:
            raise QueryError(f"steps is at most {config.max_steps}", "steps")
        step_ns = max(NS, math.ceil((end_ns - start_ns) / wanted / NS) * NS)
    result = TimeRange(start_ns // step_ns * step_ns, end_ns, step_ns)
    if result.steps > config.max_steps:
        raise QueryError(
            f"{result.steps} steps is more than the {config.max_steps} one series may have: "
            "use a longer step or a shorter range",
            "step" if step is not None else "steps",
        )
    return result


def measurement(schema: Schema, name: str) -> MeasurementSchema:
    if name not in schema:
        known = ", ".join(sorted(m.name for m in schema))
        raise QueryError(f"no measurement {name!r}; known: {known}", "measurement")
    return schema[name]


def numeric_field(m: MeasurementSchema, name: str, parameter: str = "field") -> FieldSchema:
    spec = m.fields.get(name)
    if spec is None:
        raise QueryError(f"{m.name} has no field {name!r}; it has {', '.join(sorted(m.fields))}", parameter)
    if spec.type == "str":
        raise QueryError(
            f"{m.name}.{name} is text: read it with /metrics/latest, graphs need numbers", parameter
        )
    return spec


def entity_filter(m: MeasurementSchema, pairs: list[str]) -> dict[str, str]:
    """`tag=value` pairs naming the entity (`ifName=Gi0/1`); only the measurement's entity tags."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise QueryError(f"entity={pair!r} is not tag=value, e.g. ifName=GigabitEthernet0/1", "entity")
        if key not in m.entity_tags:
            tags = ", ".join(m.entity_tags) or "none"
            raise QueryError(f"{key!r} is not an entity tag of {m.name} (its entity tags: {tags})", "entity")
        found[key] = value
    return found


@dataclass(frozen=True)
class SeriesRequest:
    measurement: MeasurementSchema
    fields: list[FieldSchema]
    devices: list[Device]
    entity: dict[str, str]
    range: TimeRange
    raw: bool = False  # counters as stored, not as rates
    utilisation: bool = False  # fields with a 100 % mark (percent_of) in % of it


@dataclass(frozen=True)
class TopRequest:
    measurement: MeasurementSchema
    field: FieldSchema
    devices: list[Device] | None  # None: every device (an unscoped caller)
    window_s: float
    limit: int
    utilisation: bool = False
    entity: dict[str, str] = default(default_factory=dict)
    # With devices None: the inventory ids of the names ranked (names it does not know are left out).
    identify: Callable[[list[str]], dict[str, int]] | None = None


@dataclass(frozen=True)
class LatestRequest:
    items: list[tuple[MeasurementSchema, FieldSchema]]
    devices: list[Device]
    raw: bool = False
