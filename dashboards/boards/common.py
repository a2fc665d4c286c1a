"""Queries several dashboards share: CPU and memory across vendors, filters, value mappings."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from dashboards.queries import InfluxQL

SITE_AGENCY = '"site" =~ /^$site$/ AND "agency" =~ /^$agency$/'
DEVICE = '"device" =~ /^$device$/'


def cpu_queries(
    where: str, group_by: str, *, aggregate: str = "mean", time_series: bool = False
) -> list[InfluxQL]:
    """CPU busy percent from every profile that reads it, one query per measurement.

    `group_by` is the tag list (e.g. `"device"`); with `time_series` the queries are bucketed by
    $__interval for a graph, otherwise one value per group over the whole range for a table.
    """
    sources = [
        ("host_cpu", f'{aggregate}("load_percent")', "HOST-RESOURCES"),
        ("cisco_cpu", f'{aggregate}("load_5m_percent")', "Cisco"),
        ("fortigate_system", f'{aggregate}("cpu_percent")', "FortiGate"),
        ("juniper_operating", 'max("cpu_percent")', "Juniper"),
        ("huawei_entity", 'max("cpu_percent")', "Huawei"),
        ("h3c_entity", 'max("cpu_percent")', "H3C"),
        ("ucd_cpu", f'100 - {aggregate}("idle_percent")', "net-snmp"),
    ]
    return [
        _query(measurement, select, "cpu_percent", where, group_by, time_series)
        for measurement, select, _ in sources
    ]


def memory_queries(where: str, group_by: str, *, time_series: bool = False) -> list[InfluxQL]:
    """Memory used in percent from every profile that reads it."""
    sources = [
        ("host_storage", 'last("used_units") / last("size_units") * 100', "\"storage_type\" = 'ram'"),
        ("ucd_memory", '(last("total_kib") - last("available_kib")) / last("total_kib") * 100', ""),
        ("fortigate_system", 'last("memory_percent")', ""),
        ("cisco_memory_pool", 'sum("used_bytes") / (sum("used_bytes") + sum("free_bytes")) * 100', ""),
        ("juniper_operating", 'max("buffer_percent")', ""),
        ("huawei_entity", 'max("memory_percent")', ""),
        ("h3c_entity", 'max("memory_percent")', ""),
    ]
    return [
        _query(
            measurement,
            select,
            "memory_percent",
            " AND ".join(w for w in (where, extra) if w),
            group_by,
            time_series,
        )
        for measurement, select, extra in sources
    ]


def _query(
    measurement: str, select: str, alias: str, where: str, group_by: str, time_series: bool
) -> InfluxQL:
    condition = f"{where} AND $timeFilter" if where else "$timeFilter"
    if time_series:
        groups = ", ".join(g for g in ("time($__interval)", group_by) if g)
        return InfluxQL(
            f'SELECT {select} AS "{alias}" FROM "{measurement}" WHERE {condition} GROUP BY {groups} fill(none)',
            alias="$tag_device $tag_component$tag_entity",
        )
    return InfluxQL(
        f'SELECT {select} AS "{alias}" FROM "{measurement}" WHERE {condition} GROUP BY {group_by}',
        result_format="table",
    )


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
