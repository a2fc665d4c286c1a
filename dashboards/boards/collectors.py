"""The collectors themselves: poll durations, devices not answering, missed polls, the spool."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.layout import Board, size, targets
from dashboards.queries import InfluxQL

UID = "eams-collectors"
SNMP = "\"component\" = 'snmp'"
SINK = "\"component\" = 'influx_sink'"


def build() -> model.Dashboard:
    board = Board(UID, "EAMS · Collectors", "How the collectors and the InfluxDB sink are doing.")
    board.row("SNMP polling")
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Poll duration").unit("s"),
            InfluxQL(
                f'SELECT percentile("duration_s", 50) AS "p50", percentile("duration_s", 95) AS "p95", '
                f'max("duration_s") AS "max" FROM "collector" WHERE {SNMP} AND $timeFilter '
                "GROUP BY time($__interval) fill(none)"
            ),
        )
    )
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Polls per device (fewer than usual = missed polls)")
        .description(
            "Completed polls per device in each 5-minute bucket. A device polled every 60 s has 5; "
            "a dip means polls were missed (the previous poll still running) or backed off."
        )
        .with_target(
            InfluxQL(
                f'SELECT count("duration_s") FROM "collector" WHERE {SNMP} AND $timeFilter '
                'GROUP BY time(5m), "device" fill(0)',
                alias="$tag_device",
            )
        )
    )
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Timeouts and errors")
        .with_target(
            InfluxQL(
                f'SELECT sum("timeouts") AS "timeouts", sum("errors") AS "errors" FROM "collector" '
                f"WHERE {SNMP} AND $timeFilter GROUP BY time($__interval) fill(none)"
            )
        )
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Slowest devices")
        .with_target(
            InfluxQL(
                'SELECT max("duration_s") AS "max_s", mean("duration_s") AS "mean_s", sum("varbinds") AS "varbinds", '
                f'last("reachable") AS "answering" FROM "collector" WHERE {SNMP} AND $timeFilter GROUP BY "device"',
                result_format="table",
            )
        )
        .with_transformation(
            model.DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": "max_s", "desc": True}]})
        )
    )
    board.add(
        size(timeseries.Panel(), 24, 6)
        .title("Values read per second")
        .with_target(
            InfluxQL(
                f'SELECT sum("varbinds") / {_seconds()} AS "varbinds" FROM "collector" '
                f"WHERE {SNMP} AND $timeFilter GROUP BY time($__interval) fill(none)"
            )
        )
    )

    board.row("InfluxDB sink and spool")
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Spool and queue size")
        .description("Bytes waiting on disk (spool) and in memory while InfluxDB is away or slow.")
        .with_target(
            InfluxQL(
                'SELECT last("spooled_bytes") AS "spooled", last("queued_bytes") AS "queued" FROM "collector" '
                f'WHERE {SINK} AND $timeFilter GROUP BY time($__interval), "instance" fill(none)',
                alias="$tag_instance $col",
            )
        )
        .unit("bytes")
    )
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Points written, rejected and dropped")
        .with_target(
            InfluxQL(
                'SELECT non_negative_derivative(last("written_points"), 1s) AS "written/s", '
                'last("rejected_batches") AS "rejected batches", last("dropped_batches") AS "dropped batches" '
                f'FROM "collector" WHERE {SINK} AND $timeFilter GROUP BY time($__interval), "instance" fill(none)',
                alias="$tag_instance $col",
            )
        )
    )
    return board.build()


def _seconds() -> str:
    # Grafana fills $__interval_ms with the bucket length in milliseconds.
    return "($__interval_ms / 1000)"
