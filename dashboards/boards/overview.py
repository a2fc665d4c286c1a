"""Data center overview: what is down, where, and what is saturated now."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import FieldColor
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import SITE_AGENCY, cpu_queries, memory_queries, up_down_mappings
from dashboards.boards.firing import firing_alerts
from dashboards.layout import Board, last_value, size, tag_variable, targets
from dashboards.queries import InfluxQL

UID = "eams-overview"

_LAST_STATE = (
    'SELECT last("reachable") AS "answering" FROM "collector" '
    f"WHERE \"component\" = 'snmp' AND {SITE_AGENCY} AND $timeFilter"
)


def _count_devices(answering: bool, group_by: str = "") -> InfluxQL:
    inner = f'{_LAST_STATE} GROUP BY "device", "site", "agency"'
    outer = (
        f'SELECT count("answering") AS "devices" FROM ({inner}) WHERE "answering" = {str(answering).lower()}'
    )
    return InfluxQL(f"{outer} GROUP BY {group_by}" if group_by else outer)


def _top(panel: table.Panel, field: str, limit: int = 10) -> table.Panel:
    """Merge the queries' rows, sort them by `field` (descending) and keep the first `limit`."""
    return (
        panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            model.DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": field, "desc": True}]})
        )
        .with_transformation(model.DataTransformerConfig(id_val="limit", options={"limitField": limit}))
    )


def build() -> model.Dashboard:
    board = (
        Board(
            UID, "EAMS · Data center overview", "Devices answering, hot spots, alerts and collector health."
        )
        .variable(tag_variable("site", "Site"))
        .variable(tag_variable("agency", "Agency"))
    )
    board.row("Devices")
    board.add(
        size(stat.Panel(), 4, 5)
        .title("Devices answering")
        .description("Devices whose last SNMP poll in the time range was answered.")
        .with_target(_count_devices(True))
        .reduce_options(last_value())
        .color_scheme(_fixed("green"))
        .no_value("0")
    )
    board.add(
        size(stat.Panel(), 4, 5)
        .title("Devices not answering")
        .description("Devices whose last SNMP poll in the time range timed out or failed.")
        .with_target(_count_devices(False))
        .reduce_options(last_value())
        .color_scheme(_fixed("red"))
        .no_value("0")
    )
    board.add(
        size(bargauge.Panel(), 8, 5)
        .title("Not answering by site")
        .with_target(InfluxQL(_count_devices(False, '"site"').query, alias="$tag_site"))
        .reduce_options(last_value())
        .color_scheme(_fixed("red"))
    )
    board.add(
        size(bargauge.Panel(), 8, 5)
        .title("Not answering by agency")
        .with_target(InfluxQL(_count_devices(False, '"agency"').query, alias="$tag_agency"))
        .reduce_options(last_value())
        .color_scheme(_fixed("red"))
    )
    board.add(
        size(table.Panel(), 24, 8)
        .title("Devices by site and agency")
        .description("Last poll of every device: answering or not, and how long the poll took.")
        .with_target(
            InfluxQL(
                'SELECT last("reachable") AS "answering", last("duration_s") AS "poll_s" FROM "collector" '
                f"WHERE \"component\" = 'snmp' AND {SITE_AGENCY} AND $timeFilter "
                'GROUP BY "site", "agency", "device", "role"',
                result_format="table",
            )
        )
        .override_by_name(
            "answering",
            [
                model.DynamicConfigValue(id_val="mappings", value=up_down_mappings()),
                model.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
            ],
        )
        .filterable(True)
    )

    board.row("Hot spots")
    where = SITE_AGENCY
    utilisation = (
        'SELECT max("in") AS "in_percent", max("out") AS "out_percent" FROM ('
        'SELECT non_negative_derivative(last("in_octets"), 1s) * 8 / last("speed_mbps") / 10000 AS "in", '
        'non_negative_derivative(last("out_octets"), 1s) * 8 / last("speed_mbps") / 10000 AS "out" '
        f'FROM "interface" WHERE "speed_mbps" > 0 AND {where} AND $timeFilter '
        'GROUP BY time($__interval), "device", "ifName") GROUP BY "device", "ifName"'
    )
    board.add(
        _top(
            size(table.Panel(), 8, 10)
            .title("Top interfaces by utilisation")
            .description(
                "Peak traffic in the time range as a percentage of the interface speed (ifHighSpeed)."
            )
            .with_target(InfluxQL(utilisation, result_format="table"))
            .unit("percent")
            .decimals(1),
            "in_percent",
        )
    )
    board.add(
        _top(
            targets(
                size(table.Panel(), 8, 10)
                .title("Top CPU")
                .description(
                    "Average CPU busy over the time range, from whichever MIB the device's profile reads."
                )
                .unit("percent")
                .decimals(1),
                *cpu_queries(where, '"device"'),
            ),
            "cpu_percent",
        )
    )
    board.add(
        _top(
            targets(
                size(table.Panel(), 8, 10)
                .title("Top memory")
                .description("Memory in use at the end of the time range, in percent.")
                .unit("percent")
                .decimals(1),
                *memory_queries(where, '"device"'),
            ),
            "memory_percent",
        )
    )

    board.row("Alerts and collectors")
    board.add(firing_alerts(16, 8))
    board.add(
        size(timeseries.Panel(), 8, 8)
        .title("Poll duration (p95)")
        .with_target(
            InfluxQL(
                'SELECT percentile("duration_s", 95) AS "p95" FROM "collector" '
                "WHERE \"component\" = 'snmp' AND $timeFilter GROUP BY time($__interval) fill(none)"
            )
        )
        .unit("s")
    )
    board.add(
        size(stat.Panel(), 12, 4)
        .title("Poll timeouts")
        .description("SNMP requests that timed out in the time range, all devices.")
        .with_target(
            InfluxQL('SELECT sum("timeouts") FROM "collector" WHERE "component" = \'snmp\' AND $timeFilter')
        )
        .reduce_options(last_value())
        .no_value("0")
    )
    board.add(
        size(stat.Panel(), 12, 4)
        .title("Spool on disk")
        .description("Metrics waiting on disk for InfluxDB (grows while InfluxDB is unreachable).")
        .with_target(
            InfluxQL(
                'SELECT last("spooled_bytes") FROM "collector" '
                'WHERE "component" = \'influx_sink\' AND $timeFilter GROUP BY "instance"',
                alias="$tag_instance",
            )
        )
        .reduce_options(last_value())
        .unit("bytes")
    )
    return board.build()


def _fixed(color: str) -> FieldColor:
    return FieldColor().mode(model.FieldColorModeId.FIXED).fixed_color(color)
