"""UPS and environment: batteries, load, input power, rack PDUs and temperatures."""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import state_mappings
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
        size(timeseries.Panel(), 8, 8)
        .title("Battery charge")
        .with_target(
            InfluxQL(
                f'SELECT last("charge_percent") FROM "ups_battery" WHERE $timeFilter {GROUPED}',
                alias="$tag_device",
            )
        )
        .unit("percent")
        .min(0)
        .max(100)
    )
    board.add(
        size(timeseries.Panel(), 8, 8)
        .title("Runtime left")
        .with_target(
            InfluxQL(
                f'SELECT last("runtime_s") FROM "ups_battery" WHERE $timeFilter {GROUPED}',
                alias="$tag_device",
            )
        )
        .unit("s")
    )
    board.add(
        targets(
            size(timeseries.Panel(), 8, 8).title("Output load").unit("percent"),
            InfluxQL(
                'SELECT max("load_percent") FROM "ups_output_line" WHERE $timeFilter ' + GROUPED,
                alias="$tag_device",
            ),
            InfluxQL(
                f'SELECT last("load_percent") FROM "ups_io" WHERE $timeFilter {GROUPED}', alias="$tag_device"
            ),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Input voltage").unit("volt"),
            InfluxQL(
                'SELECT mean("voltage") FROM "ups_input_line" WHERE $timeFilter '
                'GROUP BY time($__interval), "device", "upsInputLineIndex" fill(none)',
                alias="$tag_device line $tag_upsInputLineIndex",
            ),
            InfluxQL(
                f'SELECT mean("input_voltage") FROM "ups_io" WHERE $timeFilter {GROUPED}', alias="$tag_device"
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
        size(timeseries.Panel(), 12, 8)
        .title("PDU current")
        .with_target(
            InfluxQL(
                'SELECT last("current_a") FROM "apc_pdu_load" WHERE $timeFilter '
                'GROUP BY time($__interval), "device", "rPDULoadStatusIndex" fill(none)',
                alias="$tag_device bank $tag_rPDULoadStatusIndex",
            )
        )
        .unit("amp")
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Hottest sensor per device").unit("celsius"),
            InfluxQL(
                f'SELECT max("celsius") FROM "cisco_temperature" WHERE $timeFilter {GROUPED}',
                alias="$tag_device",
            ),
            InfluxQL(
                'SELECT max("temperature_celsius") FROM "juniper_operating" WHERE $timeFilter ' + GROUPED,
                alias="$tag_device",
            ),
            InfluxQL(
                'SELECT max("temperature_celsius") FROM "ups_battery" WHERE $timeFilter ' + GROUPED,
                alias="$tag_device battery",
            ),
        )
    )
    return board.build()
