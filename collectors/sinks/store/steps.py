"""From points to what a graph shows: counters turned into rates, and min/max/mean/last per step.

Both read backends (the embedded store and InfluxDB) hand their raw points to these functions, and
the store computes its 5-minute rollups with them too, so a number never depends on where it came
from. Rates follow the alert engine's rule exactly (`collectors.snmp.rates.counter_rate`, called
once per point): a Counter32 that goes down wrapped, a Counter64 that goes down was reset, and no
counter has a rate across a device restart (its uptime went back; `restarts`).

Steps are aligned to the epoch (a step of 300 s starts at :00, :05 ...), as InfluxQL's
`GROUP BY time()` aligns them, and a point belongs to the step its time falls in; a rate belongs to
the step of the later of its two points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from collectors.schema import percent
from collectors.snmp.rates import counter_rate

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
NS = 1_000_000_000


@dataclass(frozen=True)
class Points:
    """One series of one field: times (ns, ascending) and values."""

    time: I64
    value: F64

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @classmethod
    def empty(cls) -> Points:
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))


def restarts(time: I64, uptime: F64, before: tuple[int, float] | None = None) -> I64:
    """When a device restarted: the times of uptime values lower than the one before them
    (`before` is the last (time, uptime) ahead of the range, if known)."""
    if not time.size:
        return np.empty(0, np.int64)
    previous = np.empty_like(uptime)
    previous[1:] = uptime[:-1]
    previous[0] = before[1] if before is not None else -np.inf
    return time[uptime < previous]


def counter_rates(
    time: I64,
    values: list[int],
    width: int,
    restarted: I64,
    before: tuple[int, int] | None = None,
) -> Points:
    """Per-second rates between consecutive counter values, by the alert engine's rule. `values`
    are exact Python ints (counters pass 2^53); `before` is the last (time, value) ahead of them."""
    times = time.tolist()
    if before is not None:
        times.insert(0, before[0])
        values = [before[1], *values]
    out_time: list[int] = []
    out_rate: list[float] = []
    restart_list = restarted.tolist()
    r = 0
    for i in range(1, len(times)):
        previous_at, at = times[i - 1], times[i]
        while r < len(restart_list) and restart_list[r] <= previous_at:
            r += 1
        reset = r < len(restart_list) and restart_list[r] <= at
        rate = counter_rate(values[i - 1], previous_at / NS, values[i], at / NS, width, reset)
        if rate is not None:
            out_time.append(at)
            out_rate.append(rate)
    return Points(np.asarray(out_time, np.int64), np.asarray(out_rate, np.float64))


def as_percent(points: Points, base: Points, scale: float) -> Points:
    """Each value (times `scale`) in % of the base field's value at the same time (ifHighSpeed);
    points without a usable base are left out."""
    if not len(points) or not len(base):
        return Points.empty()
    index = np.searchsorted(base.time, points.time)
    index = np.minimum(index, len(base) - 1)
    matched = base.time[index] == points.time
    out: list[float] = []
    kept: list[int] = []
    for i, (value, at) in enumerate(zip(points.value.tolist(), points.time.tolist(), strict=True)):
        if not matched[i]:
            continue
        share = percent(value * scale, float(base.value[index[i]]))
        if share is not None:
            out.append(share)
            kept.append(at)
    return Points(np.asarray(kept, np.int64), np.asarray(out, np.float64))


@dataclass(frozen=True)
class Steps:
    """Per-step count, sum, min, max and last of a series (NaN where a step has no point)."""

    start_ns: int
    step_ns: int
    count: I64
    sum: F64
    min: F64
    max: F64
    last: F64

    def __len__(self) -> int:
        return int(self.count.shape[0])

    @property
    def mean(self) -> F64:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.sum / np.maximum(self.count, 1), np.nan)

    @property
    def times_ns(self) -> I64:
        return self.start_ns + np.arange(len(self), dtype=np.int64) * self.step_ns

    @classmethod
    def empty(cls, start_ns: int, step_ns: int, steps: int) -> Steps:
        nan = np.full(steps, np.nan)
        return cls(start_ns, step_ns, np.zeros(steps, np.int64), np.zeros(steps), nan, nan.copy(), nan.copy())


def step_stats(points: Points, start_ns: int, step_ns: int, steps: int) -> Steps:
    """Count, sum, min, max and last of the points in each step [start + i*step, start + (i+1)*step)."""
    if not len(points):
        return Steps.empty(start_ns, step_ns, steps)
    index = (points.time - start_ns) // step_ns
    inside = (index >= 0) & (index < steps)
    index, value = index[inside], points.value[inside]
    count = np.bincount(index, minlength=steps).astype(np.int64)
    total: F64 = np.bincount(index, weights=value, minlength=steps).astype(np.float64)
    low: F64 = np.full(steps, np.inf)
    high: F64 = np.full(steps, -np.inf)
    np.minimum.at(low, index, value)
    np.maximum.at(high, index, value)
    last_position = np.full(steps, -1, np.int64)
    np.maximum.at(last_position, index, np.arange(index.size))
    empty = count == 0
    last: F64 = np.where(empty, np.nan, value[np.maximum(last_position, 0)]).astype(np.float64)
    low[empty] = np.nan
    high[empty] = np.nan
    return Steps(start_ns, step_ns, count, total, low, high, last)


def combine(parts: list[Steps], start_ns: int, step_ns: int, steps: int) -> Steps:
    """Steps of finer buckets (rollups, raw) merged into coarser ones that they divide exactly."""
    count = np.zeros(steps, np.int64)
    total = np.zeros(steps)
    low = np.full(steps, np.inf)
    high = np.full(steps, -np.inf)
    last = np.full(steps, np.nan)
    last_at = np.full(steps, -1, np.int64)
    for part in parts:
        have = part.count > 0
        if not have.any():
            continue
        times = part.times_ns[have]
        index = (times - start_ns) // step_ns
        inside = (index >= 0) & (index < steps)
        index = index[inside]
        count_part = part.count[have][inside]
        np.add.at(count, index, count_part)
        np.add.at(total, index, part.sum[have][inside])
        np.minimum.at(low, index, part.min[have][inside])
        np.maximum.at(high, index, part.max[have][inside])
        newer = times[inside]
        for i, at, value in zip(
            index.tolist(), newer.tolist(), part.last[have][inside].tolist(), strict=True
        ):
            if at > last_at[i]:
                last_at[i] = at
                last[i] = value
    empty = count == 0
    low[empty] = np.nan
    high[empty] = np.nan
    last[empty] = np.nan
    return Steps(start_ns, step_ns, count, total, low, high, last)
