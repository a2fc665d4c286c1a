"""Raw points of a field to what was asked: values, a counter's rates, or a utilisation in %.

The rules are the collectors' own (collectors/sinks/store/steps.py over
collectors.snmp.rates.counter_rate): the embedded store applied them when it wrote its rollups,
and every backend's raw points go through them here.
"""

from __future__ import annotations

import numpy as np

from collectors.schema import FieldSchema, MeasurementSchema
from collectors.sinks.store.reader import RawSeries
from collectors.sinks.store.steps import I64, Points, as_percent, counter_rates, restarts

NO_RESTARTS = np.empty(0, np.int64)


def device_restarts(uptime: RawSeries | None) -> I64:
    """When the device restarted, from its uptime points (none known: no restart)."""
    if uptime is None or not len(uptime.time):
        return NO_RESTARTS
    return restarts(uptime.time, uptime.value)


def field_points(
    raw: RawSeries | None, spec: FieldSchema, *, as_rate: bool, restarted: I64, start_ns: int
) -> Points:
    """The field's values (or a counter's rates) at or after `start_ns`; points before it only
    give the first rate its predecessor."""
    if raw is None or not len(raw.time):
        return Points.empty()
    if as_rate:
        exact = raw.exact if raw.exact is not None else [int(v) for v in raw.value.tolist()]
        points = counter_rates(raw.time, exact, spec.counter_bits, restarted)
    else:
        points = Points(raw.time, raw.value)
    keep = points.time >= start_ns
    return Points(points.time[keep], points.value[keep])


def utilisation_points(
    measurement: MeasurementSchema,
    spec: FieldSchema,
    points: Points,
    by_field: dict[str, RawSeries],
) -> Points:
    """The points in % of the field the schema names as their 100 % mark (same point's value)."""
    assert spec.percent_of is not None
    base = by_field.get(spec.percent_of.field)
    if base is None:
        return Points.empty()
    return as_percent(points, Points(base.time, base.value), spec.percent_of.scale)


def kind_of(spec: FieldSchema, *, raw: bool, utilisation: bool) -> str:
    if utilisation and spec.percent_of is not None:
        return "utilisation"
    if spec.counter and not raw:
        return "rate"
    return "value"


def unit_of(spec: FieldSchema, kind: str) -> str:
    if kind == "utilisation":
        return "%"
    if kind == "rate":
        return spec.rate_unit
    return spec.unit
