"""UPS and environment: batteries, load, input power, rack PDUs and temperatures."""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import meaning_queries, state_mappings
from dashboards.layout import Board, size, targets
from dashboards.queries import InfluxQL

UID = "eams-power"
GROUPED = 'GROUP BY time($__interval), "device" fill(none)'


def build() -> model.Dashboard:
    board = Board(UID, "EAMS · UPS and environment", "UPS batteries and load, rack PDUs, temperatures.")
    board.row("UPS")
    board.add(
        size(table.Panel(), 24, 7)
        .title("UPS state")
        .with_target(
            InfluxQL(
                'SELECT last("status") AS "battery", last("charge_percent") AS "charge_percent", '
                'last("runtime_s") AS "runtime_s", last("temperature_celsius") AS "battery_celsius" '
                'FROM "ups_battery" WHERE $timeFilter GROUP BY "site", "device"',
                result_format="table",
            )
        )
        .override_by_name(
            "battery",
            [
                model.DynamicConfigValue(
                    id_val="mappings", value=state_mappings(["normal"], ["low", "depleted", "fault"])
                )
            ],
        )
        .override_by_name("runtime_s", [model.DynamicConfigValue(id_val="unit", value="s")])
    )
    board.add(
        targets(
            size(timeseries.Panel(), 8, 8).title("Battery charge").unit("percent").min(0).max(100),
            *meaning_queries("battery_percent", "", '"device"', aggregate="last", time_series=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 8, 8).title("Runtime left").unit("s"),
            *meaning_queries("battery_runtime", "", '"device"', aggregate="last", time_series=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 8, 8).title("Output load").unit("percent"),
            *meaning_queries("ups_load_percent", "", '"device"', aggregate="max", time_series=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Input voltage").unit("volt"),
            *meaning_queries(
                "input_voltage", "", '"device"', aggregate="mean", time_series=True, per_row=True
            ),
        )
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Output source")
        .description("APC: online, on battery, bypass ...")
        .with_target(
            InfluxQL(
                'SELECT last("output_source") AS "output" FROM "ups_io" WHERE $timeFilter GROUP BY "device"',
                result_format="table",
            )
        )
        .override_by_name(
            "output",
            [model.DynamicConfigValue(id_val="mappings", value=state_mappings(["online"], ["battery"]))],
        )
    )

    board.row("Rack PDUs and temperature")
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8)
            .title("Current")
            .description("PDU banks and phases, UPS output lines.")
            .unit("amp"),
            *meaning_queries("current_a", "", '"device"', aggregate="last", time_series=True, per_row=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Hottest sensor per device").unit("celsius"),
            *meaning_queries("temperature_c", "", '"device"', aggregate="max", time_series=True),
            *meaning_queries("battery_temperature_c", "", '"device"', aggregate="max", time_series=True),
        )
    )
    return board.build()
