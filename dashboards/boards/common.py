"""Queries several dashboards share: queries derived from field meanings (CPU, memory, temperature,
states ... across vendors), filters, value mappings."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from functools import cache

from grafana_foundation_sdk.models import dashboard as model

from collectors.schema import FieldSchema, MeasurementSchema, Schema, build_schema
from dashboards.queries import InfluxQL

SITE_AGENCY = '"site" =~ /^$site$/ AND "agency" =~ /^$agency$/'
DEVICE = '"device" =~ /^$device$/'


@cache
def _schema() -> Schema:
    return build_schema()


def by_meaning(*meanings: str) -> list[tuple[MeasurementSchema, FieldSchema]]:
    """Every (measurement, field) the collectors write for these meanings, in schema order: the
    dashboards' per-vendor queries come from here, so a new profile appears with no board edited."""
    return [pair for meaning in meanings for pair in _schema().by_meaning(meaning)]


def meaning_queries(
    meaning: str,
    where: str,
    group_by: str,
    *,
    aggregate: str = "mean",
    alias: str | None = None,
    time_series: bool = False,
    per_row: bool = False,
) -> list[InfluxQL]:
    """One query per measurement writing `meaning`, its value named `alias` (the meaning itself
    by default). `per_row` groups by the measurement's row tag too (one line per CPU, sensor ...);
    otherwise rows are folded with max() under `aggregate` (the busiest CPU, the hottest sensor)."""
    queries = []
    for measurement, spec in by_meaning(meaning):
        groups = [g for g in (group_by,) if g]
        if per_row and measurement.entity_tags:
            groups.append(f'"{measurement.entity_tags[0]}"')
        select = f'{aggregate}("{spec.name}")'
        if measurement.entity_tags and not per_row and aggregate not in ("max", "min", "last"):
            select = f'max("{spec.name}")'  # several rows per device: the worst one
        queries.append(
            _query(measurement.name, select, alias or meaning, where, ", ".join(groups), time_series)
        )
    return queries


def cpu_queries(
    where: str, group_by: str, *, aggregate: str = "mean", time_series: bool = False
) -> list[InfluxQL]:
    """CPU busy percent from every measurement whose field means `cpu_percent`.

    `group_by` is the tag list (e.g. `"device"`); with `time_series` the queries are bucketed by
    $__interval for a graph, otherwise one value per group over the whole range for a table.
    """
    return meaning_queries(
        "cpu_percent", where, group_by, aggregate=aggregate, alias="cpu_percent", time_series=time_series
    )


def memory_queries(where: str, group_by: str, *, time_series: bool = False) -> list[InfluxQL]:
    """Memory used in percent from every measurement whose field means `memory_used_percent`."""
    return meaning_queries(
        "memory_used_percent",
        where,
        group_by,
        aggregate="last",
        alias="memory_percent",
        time_series=time_series,
    )


def _query(
    measurement: str, select: str, alias: str, where: str, group_by: str, time_series: bool
) -> InfluxQL:
    condition = f"{where} AND $timeFilter" if where else "$timeFilter"
    if time_series:
        groups = ", ".join(g for g in ("time($__interval)", group_by) if g)
        tags = " ".join(f"$tag_{g.strip(chr(34))}" for g in group_by.split(", ") if g)
        return InfluxQL(
            f'SELECT {select} AS "{alias}" FROM "{measurement}" WHERE {condition} GROUP BY {groups} fill(none)',
            alias=tags or alias,
        )
    suffix = f" GROUP BY {group_by}" if group_by else ""
    return InfluxQL(
        f'SELECT {select} AS "{alias}" FROM "{measurement}" WHERE {condition}{suffix}',
        result_format="table",
    )


FAILURE_MEANINGS = (
    "psu_state",
    "fan_state",
    "temperature_state",
    "disk_state",
    "raid_state",
    "component_state",
    "health_state",
    "battery_state",
    "ha_state",
    "ha_sync_state",
    "service_state",
    "licence_state",
)


def state_queries(where: str) -> list[InfluxQL]:
    """The last value of every state field that can fail, one table row per part, as "state"."""
    queries = []
    for measurement, spec in by_meaning(*FAILURE_MEANINGS):
        groups = ", ".join(f'"{tag}"' for tag in measurement.entity_tags)
        queries.append(_query(measurement.name, f'last("{spec.name}")', "state", where, groups, False))
    return queries


def failed_state_mappings() -> list[model.ValueMapping]:
    """Red for every value a profile declared as failure; the rest stay uncoloured."""
    failed = sorted({v for _m, spec in by_meaning(*FAILURE_MEANINGS) for v in spec.failed_values})
    return state_mappings(["normal", "ok", "up", "running", "synchronized"], failed)


def state_mappings(good: list[str], bad: list[str], warn: tuple[str, ...] = ()) -> list[model.ValueMapping]:
    """Text states coloured: good ones green, warnings orange, bad ones red."""
    colours = [*(("green", v) for v in good), *(("orange", v) for v in warn), *(("red", v) for v in bad)]
    options = {
        value: model.ValueMappingResult(color=colour, index=i) for i, (colour, value) in enumerate(colours)
    }
    return [model.ValueMap(options=options)]


def up_down_mappings() -> list[model.ValueMapping]:
    return [
        model.ValueMap(
            options={
                "true": model.ValueMappingResult(text="up", color="green", index=0),
                "false": model.ValueMappingResult(text="DOWN", color="red", index=1),
            }
        )
    ]
