"""The metrics query service: series, top and latest, over the embedded store or InfluxDB.

It picks the backend (`MetricsConfig.engine`), asks it for raw points (or, for the store's older
ranges, its rollup buckets), and computes the rest itself, the same way for both: counters to
rates by the alert engine's rule, utilisation in % of the field the schema names, min / max /
mean / last per step (collectors/sinks/store/steps.py). Callers hand it checked requests
(eams/metrics/query.py) and the devices they may read; it never sees a user's text unchecked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast

import numpy as np

from collectors.schema import UPTIME, FieldSchema, Schema, percent
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.reader import RawSeries
from collectors.sinks.store.rollups import FIVE_MINUTES, HOURLY
from collectors.sinks.store.steps import Points, Steps, combine, step_stats
from collectors.sinks.store.writer import BLOCK_NS
from eams.metrics.answers import (
    Kind,
    LatestAnswer,
    LatestRow,
    LatestValue,
    Resolution,
    SeriesAnswer,
    SeriesOut,
    TopAnswer,
    TopEntry,
)
from eams.metrics.backends.base import LOOKBACK_NS, BackendError, SeriesKey
from eams.metrics.backends.influx import InfluxBackend
from eams.metrics.backends.store import StoreBackend
from eams.metrics.compute import device_restarts, field_points, kind_of, unit_of, utilisation_points
from eams.metrics.query import NS, LatestRequest, QueryError, SeriesRequest, TimeRange, TopRequest

AnyBackend = StoreBackend | InfluxBackend


def _at(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / NS, UTC)


def _column(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


class MetricsService:
    def __init__(
        self,
        schema: Schema,
        config: MetricsConfig,
        *,
        store: StoreBackend | None = None,
        store_writing: bool = False,
        influx: InfluxBackend | None = None,
    ) -> None:
        self.schema = schema
        self.config = config
        self.store = store
        self.store_writing = store_writing
        self.influx = influx

    # -- which backend ----------------------------------------------------------------------------
    def backend_for(self, start_ns: int) -> AnyBackend:
        engine = self.config.engine
        if engine == "store":
            if self.store is None:
                raise BackendError("EAMS_METRICS_ENGINE=store but the embedded store is off")
            return self.store
        if engine == "influx":
            if self.influx is None:
                raise BackendError(
                    "EAMS_METRICS_ENGINE=influx but no InfluxDB is configured (EAMS_INFLUX_URL)"
                )
            return self.influx
        if self.store is not None and (
            self.influx is None or (self.store_writing and start_ns >= self.store.raw_since_ns())
        ):
            return self.store
        if self.influx is not None:
            return self.influx
        raise BackendError(
            "no metrics are recorded here: the embedded store is off (EAMS_METRICS_STORE) and no "
            "InfluxDB is configured (EAMS_INFLUX_URL)"
        )

    # -- series -----------------------------------------------------------------------------------
    def series(self, request: SeriesRequest) -> SeriesAnswer:
        backend = self.backend_for(request.range.start_ns)
        m = request.measurement
        for spec in request.fields:
            if request.utilisation and spec.percent_of is None:
                raise QueryError(
                    f"{m.name}.{spec.name} has no 100 % mark in the schema, so no utilisation", "utilisation"
                )
        fetch = [s.name for s in request.fields]
        if request.utilisation:
            fetch += [
                s.percent_of.field for s in request.fields if s.percent_of and s.percent_of.field not in fetch
            ]
        devices = [d.name for d in request.devices]
        ids = {d.name: d.id for d in request.devices}
        resolution: Resolution = "raw"
        window = request.range
        if isinstance(backend, StoreBackend) and window.start_ns < backend.raw_since_ns():
            level = FIVE_MINUTES
            five_minutes_from = max(
                time.time_ns() - int(self.config.rollup_5m_retention * NS), backend.five_minute_since_ns()
            )
            if window.start_ns < five_minutes_from:
                level = HOURLY
            if request.raw and any(s.counter for s in request.fields):
                raise QueryError(
                    f"raw counter values are kept {self.config.raw_retention / 3600:g} h; older ranges "
                    "have their rates only: leave raw out",
                    "raw",
                )
            step = math.ceil(window.step_ns / (level * NS)) * level * NS
            window = window.aligned(step)
            resolution = "5m" if level == FIVE_MINUTES else "1h"
            per_key = self._from_rollups(backend, request, fetch, devices, level, window)
        else:
            per_key = self._from_raw(backend, request, fetch, devices, window)
        out: list[SeriesOut] = []
        for (device, entity), per_field in sorted(per_key.items()):
            for spec in request.fields:
                found = per_field.get(spec.name)
                if found is None or not int(found.count.sum()):
                    continue
                kind = kind_of(spec, raw=request.raw, utilisation=request.utilisation)
                out.append(
                    SeriesOut(
                        device=device,
                        device_id=ids.get(device),
                        entity=dict(entity),
                        field=spec.name,
                        kind=cast(Kind, kind),
                        unit=unit_of(spec, kind),
                        time=[int(t // NS) for t in found.times_ns.tolist()],
                        min=_column(found.min),
                        max=_column(found.max),
                        mean=_column(found.mean),
                        last=_column(found.last),
                        count=found.count.tolist(),
                    )
                )
        self._check_bounds(len(out), window)
        return SeriesAnswer(
            measurement=m.name,
            start=_at(window.start_ns),
            end=_at(window.end_ns),
            step_s=window.step_ns / NS,
            resolution=resolution,
            backend=backend.name,
            series=out,
        )

    def _check_bounds(self, series: int, window: TimeRange) -> None:
        if series > self.config.max_series:
            raise QueryError(
                f"{series} series is more than the {self.config.max_series} one answer may hold: "
                "name fewer devices or an entity",
                "device",
            )
        if series * window.steps > self.config.max_points:
            raise QueryError(
                f"{series} series x {window.steps} steps is more than the {self.config.max_points} points "
                "one answer may hold: use a longer step, a shorter range or fewer devices",
                "step",
            )

    def _uptimes(
        self, backend: AnyBackend, devices: list[str], start_ns: int, end_ns: int
    ) -> dict[str, RawSeries]:
        if UPTIME[0] not in self.schema:
            return {}
        found = backend.raw(UPTIME[0], [UPTIME[1]], devices, {}, start_ns, end_ns)
        return {
            device: fields[UPTIME[1]] for (device, _entity), fields in found.items() if UPTIME[1] in fields
        }

    def _from_raw(
        self,
        backend: AnyBackend,
        request: SeriesRequest,
        fetch: list[str],
        devices: list[str],
        window: TimeRange,
    ) -> dict[SeriesKey, dict[str, Steps]]:
        rates = not request.raw and any(s.counter for s in request.fields)
        fetch_from = window.start_ns - LOOKBACK_NS if rates else window.start_ns
        data = backend.raw(
            request.measurement.name, fetch, devices, request.entity, fetch_from, window.end_ns
        )
        uptimes = self._uptimes(backend, devices, fetch_from, window.end_ns) if rates else {}
        out: dict[SeriesKey, dict[str, Steps]] = {}
        for key, by_field in data.items():
            restarted = device_restarts(uptimes.get(key[0]))
            for spec in request.fields:
                points = self._points(request, spec, by_field, restarted, window.start_ns)
                out.setdefault(key, {})[spec.name] = step_stats(
                    points, window.start_ns, window.step_ns, window.steps
                )
        return out

    def _points(
        self,
        request: SeriesRequest,
        spec: FieldSchema,
        by_field: Mapping[str, RawSeries],
        restarted: np.ndarray,
        start_ns: int,
    ) -> Points:
        as_rate = spec.counter and not request.raw
        points = field_points(
            by_field.get(spec.name), spec, as_rate=as_rate, restarted=restarted, start_ns=start_ns
        )
        if request.utilisation and spec.percent_of is not None:
            points = utilisation_points(request.measurement, spec, points, dict(by_field))
        return points

    def _from_rollups(
        self,
        backend: StoreBackend,
        request: SeriesRequest,
        fetch: list[str],
        devices: list[str],
        level: int,
        window: TimeRange,
    ) -> dict[SeriesKey, dict[str, Steps]]:
        found = backend.buckets(
            level, request.measurement.name, fetch, devices, request.entity, window.start_ns, window.end_ns
        )
        out: dict[SeriesKey, dict[str, Steps]] = {}
        for key, by_field in found.items():
            merged = {
                name: combine(parts, window.start_ns, window.step_ns, window.steps)
                for name, parts in by_field.items()
            }
            for spec in request.fields:
                steps = merged.get(spec.name)
                if steps is None:
                    continue
                if request.utilisation and spec.percent_of is not None:
                    base = merged.get(spec.percent_of.field)
                    steps = _percent_steps(steps, base, spec.percent_of.scale)
                out.setdefault(key, {})[spec.name] = steps
        return out

    # -- top --------------------------------------------------------------------------------------
    def top(self, request: TopRequest) -> TopAnswer:
        if request.window_s > self.config.top_window_max:
            raise QueryError(
                f"window is at most {self.config.top_window_max / 60:g} minutes "
                "(EAMS_METRICS_TOP_WINDOW_MAX)",
                "window",
            )
        spec, m = request.field, request.measurement
        if request.utilisation and spec.percent_of is None:
            raise QueryError(
                f"{m.name}.{spec.name} has no 100 % mark in the schema, so no utilisation", "utilisation"
            )
        now = time.time_ns()
        start = (now - int(request.window_s * NS)) // BLOCK_NS * BLOCK_NS
        backend = self.backend_for(start)
        devices = None if request.devices is None else [d.name for d in request.devices]
        if isinstance(backend, StoreBackend):
            ranked = self._top_store(backend, request, devices, start, now)
        else:
            ranked = self._top_influx(backend, request, devices, start, now)
        ranked.sort(key=lambda item: (-item[1], item[0]))
        if request.devices is None and request.identify is not None:
            ids = request.identify(sorted({key[0] for key, _v, _n in ranked[: request.limit * 4 + 20]}))
            ranked = [item for item in ranked if item[0][0] in ids]
        else:
            ids = {d.name: d.id for d in request.devices or [] if d.id is not None}
        kind = kind_of(spec, raw=False, utilisation=request.utilisation)
        return TopAnswer(
            measurement=m.name,
            field=spec.name,
            kind=cast(Kind, kind),
            unit=unit_of(spec, kind),
            window_start=_at(start),
            end=_at(now),
            backend=backend.name,
            entries=[
                TopEntry(
                    device=device,
                    device_id=ids.get(device),
                    entity=dict(entity),
                    value=value,
                    samples=samples,
                )
                for (device, entity), value, samples in ranked[: request.limit]
            ],
        )

    def _top_store(
        self, backend: StoreBackend, request: TopRequest, devices: list[str] | None, start: int, now: int
    ) -> list[tuple[SeriesKey, float, int]]:
        m, spec = request.measurement, request.field
        found, _devices = backend.window(m.name, spec.name, devices, request.entity, start, now)
        base: dict[int, tuple[int, float]] = {}
        if request.utilisation and spec.percent_of is not None:
            base, _ = backend.window(m.name, spec.percent_of.field, devices, request.entity, start, now)
        scored: list[tuple[int, float, int]] = []
        for slot, (count, total) in found.items():
            value: float | None = total / count
            if request.utilisation and spec.percent_of is not None:
                known = base.get(slot)
                mean = total / count
                value = percent(mean * spec.percent_of.scale, known[1] / known[0]) if known else None
            if value is not None:
                scored.append((slot, value, count))
        scored.sort(key=lambda item: -item[1])
        winners = scored[: request.limit * 4 + 20]  # ties are broken by name, unknown devices dropped
        infos = {
            s.slot: s for s in backend.reader.series_by_slots(m.name, [slot for slot, _v, _c in winners])
        }
        out = []
        for slot, value, count in winners:
            info = infos.get(slot)
            if info is not None:
                out.append(((info.device, tuple(sorted(info.entity.items()))), value, count))
        return out

    def _top_influx(
        self, backend: InfluxBackend, request: TopRequest, devices: list[str] | None, start: int, now: int
    ) -> list[tuple[SeriesKey, float, int]]:
        m, spec = request.measurement, request.field
        fetch = [spec.name]
        if request.utilisation and spec.percent_of is not None:
            fetch.append(spec.percent_of.field)
        fetch_from = start - LOOKBACK_NS if spec.counter else start
        data = backend.raw(m.name, fetch, devices, request.entity, fetch_from, now + 1)
        uptimes: dict[str, RawSeries] = {}
        if spec.counter:
            uptimes = self._uptimes_all(backend, devices, fetch_from, now + 1)
        series_request = SeriesRequest(
            m,
            [spec],
            [],
            request.entity,
            TimeRange(start, now, now - start),
            raw=False,
            utilisation=request.utilisation,
        )
        out = []
        for key, by_field in data.items():
            points = self._points(series_request, spec, by_field, device_restarts(uptimes.get(key[0])), start)
            if len(points):
                out.append((key, float(points.value.mean()), len(points)))
        return out

    def _uptimes_all(
        self, backend: InfluxBackend, devices: list[str] | None, start: int, end: int
    ) -> dict[str, RawSeries]:
        found = backend.raw(UPTIME[0], [UPTIME[1]], devices, {}, start, end)
        return {device: fields[UPTIME[1]] for (device, _e), fields in found.items() if UPTIME[1] in fields}

    # -- latest -----------------------------------------------------------------------------------
    def latest(self, request: LatestRequest) -> LatestAnswer:
        backend = self.backend_for(time.time_ns())
        devices = [d.name for d in request.devices]
        ids = {d.name: d.id for d in request.devices}
        by_measurement: dict[str, list[FieldSchema]] = {}
        for m, spec in request.items:
            by_measurement.setdefault(m.name, []).append(spec)
        rows: list[LatestRow] = []
        for name, specs in by_measurement.items():
            found = backend.latest(name, [s.name for s in specs], devices)
            for (device, entity), values in sorted(found.items()):
                answer: dict[str, LatestValue] = {}
                for spec in specs:
                    latest = values.get(spec.name)
                    if latest is None:
                        continue
                    if spec.type == "str":
                        answer[spec.name] = LatestValue(
                            value=str(latest.value), time=_at(latest.time_ns), kind="text", unit=""
                        )
                    elif spec.counter and not request.raw:
                        answer[spec.name] = LatestValue(
                            value=latest.rate, time=_at(latest.time_ns), kind="rate", unit=spec.rate_unit
                        )
                    else:
                        value = latest.value
                        if spec.type == "bool":
                            value = bool(value)
                        answer[spec.name] = LatestValue(
                            value=value,
                            time=_at(latest.time_ns),
                            kind="raw" if spec.counter else "value",
                            unit=spec.unit,
                        )
                if answer:
                    rows.append(
                        LatestRow(
                            device=device,
                            device_id=ids.get(device),
                            measurement=name,
                            entity=dict(entity),
                            values=answer,
                        )
                    )
        return LatestAnswer(backend=backend.name, rows=rows)


def _percent_steps(steps: Steps, base: Steps | None, scale: float) -> Steps:
    """Bucket statistics in % of the base field's mean in the same bucket (its 100 % mark)."""
    if base is None:
        return Steps.empty(steps.start_ns, steps.step_ns, len(steps))
    marks = base.mean.tolist()

    def share(values: np.ndarray) -> np.ndarray:
        out = []
        for value, mark in zip(values.tolist(), marks, strict=True):
            result = None if math.isnan(value) or math.isnan(mark) else percent(value * scale, mark)
            out.append(math.nan if result is None else result)
        return np.asarray(out, np.float64)

    mean = share(steps.mean)
    usable = ~np.isnan(mean)
    count = np.where(usable, steps.count, 0)
    return Steps(
        steps.start_ns,
        steps.step_ns,
        count,
        np.where(usable, mean * count, 0.0),
        share(steps.min),
        share(steps.max),
        share(steps.last),
    )
