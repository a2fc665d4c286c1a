"""One device, chosen with the `device` variable: interfaces, errors, CPU, memory, storage, sensors."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import DEVICE, cpu_queries, memory_queries, state_mappings, up_down_mappings
from dashboards.layout import Board, device_variable, last_value, size, targets
from dashboards.queries import InfluxQL

UID = "eams-device"


def _rate(field: str, alias: str, scale: str = "") -> str:
    return f'non_negative_derivative(last("{field}"), 1s){scale} AS "{alias}"'


def build() -> model.Dashboard:
    board = Board(UID, "EAMS · Device", "Everything polled from one device.").variable(device_variable())
    board.row("Status")
    board.add(
        size(stat.Panel(), 6, 4)
        .title("Answering")
        .with_target(
            InfluxQL(
                f'SELECT last("reachable") FROM "collector" WHERE {DEVICE} AND "component" = \'snmp\' AND $timeFilter'
            )
        )
        .reduce_options(last_value())
        .mappings(up_down_mappings())
    )
    board.add(
        size(stat.Panel(), 6, 4)
        .title("Uptime")
        .description("sysUpTime: time since the agent (re)started.")
        .with_target(InfluxQL(f'SELECT last("uptime_s") FROM "snmp_system" WHERE {DEVICE} AND $timeFilter'))
        .reduce_options(last_value())
        .unit("s")
    )
    board.add(
        size(stat.Panel(), 6, 4)
        .title("Last poll took")
        .with_target(
            InfluxQL(
                f'SELECT last("duration_s") FROM "collector" WHERE {DEVICE} AND "component" = \'snmp\' AND $timeFilter'
            )
        )
        .reduce_options(last_value())
        .unit("s")
    )
    board.add(
        size(stat.Panel(), 6, 4)
        .title("Interfaces up")
        .with_target(
            InfluxQL(
                'SELECT count("oper") FROM (SELECT last("oper_status") AS "oper" FROM "interface" '
                f'WHERE {DEVICE} AND $timeFilter GROUP BY "ifIndex") WHERE "oper" = \'up\''
            )
        )
        .reduce_options(last_value())
        .no_value("0")
    )

    board.row("Interfaces")
    board.add(
        size(timeseries.Panel(), 12, 9)
        .title("Traffic in")
        .description(
            "Bits per second, derived in the query from the raw 64-bit octet counters (ifHCInOctets)."
        )
        .with_target(
            InfluxQL(
                f'SELECT {_rate("in_octets", "in", " * 8")} FROM "interface" WHERE {DEVICE} AND $timeFilter '
                'GROUP BY time($__interval), "ifName" fill(none)',
                alias="$tag_ifName",
            )
        )
        .unit("bps")
    )
    board.add(
        size(timeseries.Panel(), 12, 9)
        .title("Traffic out")
        .description("Bits per second, from ifHCOutOctets.")
        .with_target(
            InfluxQL(
                f'SELECT {_rate("out_octets", "out", " * 8")} FROM "interface" WHERE {DEVICE} AND $timeFilter '
                'GROUP BY time($__interval), "ifName" fill(none)',
                alias="$tag_ifName",
            )
        )
        .unit("bps")
    )
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Errors and discards")
        .description("Per second, from ifInErrors, ifOutErrors, ifInDiscards, ifOutDiscards.")
        .with_target(
            InfluxQL(
                f"SELECT {_rate('in_errors', 'in_errors')}, {_rate('out_errors', 'out_errors')}, "
                f"{_rate('in_discards', 'in_discards')}, {_rate('out_discards', 'out_discards')} "
                f'FROM "interface" WHERE {DEVICE} AND $timeFilter GROUP BY time($__interval), "ifName" fill(none)',
                alias="$tag_ifName $col",
            )
        )
        .unit("pps")
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Interfaces")
        .with_target(
            InfluxQL(
                'SELECT last("oper_status") AS "oper", last("admin_status") AS "admin", '
                'last("speed_mbps") AS "speed_mbps" FROM "interface" '
                f'WHERE {DEVICE} AND $timeFilter GROUP BY "ifIndex", "ifName", "ifAlias"',
                result_format="table",
            )
        )
        .override_by_name(
            "oper", [model.DynamicConfigValue(id_val="mappings", value=state_mappings(["up"], ["down"]))]
        )
        .filterable(True)
    )

    board.row("CPU and memory")
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("CPU busy").unit("percent").max(100).min(0),
            *cpu_queries(DEVICE, "", time_series=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Memory used").unit("percent").max(100).min(0),
            *memory_queries(DEVICE, "", time_series=True),
        )
    )

    board.row("Storage")
    board.add(
        targets(
            size(table.Panel(), 12, 8)
            .title("Storage used")
            .description("HOST-RESOURCES storage (disks, memory, swap) and FortiGate's log disk.")
            .unit("percent")
            .decimals(1),
            InfluxQL(
                'SELECT last("used_units") / last("size_units") * 100 AS "used_percent", '
                'last("size_units") * last("allocation_unit_bytes") AS "size_bytes" '
                f'FROM "host_storage" WHERE {DEVICE} AND "size_units" > 0 AND $timeFilter '
                'GROUP BY "storage", "storage_type"',
                result_format="table",
            ),
            InfluxQL(
                'SELECT last("disk_used_mib") / last("disk_mib") * 100 AS "used_percent" '
                f'FROM "fortigate_system" WHERE {DEVICE} AND "disk_mib" > 0 AND $timeFilter',
                result_format="table",
            ),
        ).override_by_name("size_bytes", [model.DynamicConfigValue(id_val="unit", value="bytes")])
    )
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Storage used over time")
        .with_target(
            InfluxQL(
                'SELECT last("used_units") * last("allocation_unit_bytes") AS "used" FROM "host_storage" '
                f"WHERE {DEVICE} AND \"storage_type\" = 'fixed_disk' AND $timeFilter "
                'GROUP BY time($__interval), "storage" fill(none)',
                alias="$tag_storage",
            )
        )
        .unit("bytes")
    )

    board.row("Sensors")
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Temperatures").unit("celsius"),
            InfluxQL(
                f'SELECT last("celsius") FROM "cisco_temperature" WHERE {DEVICE} AND $timeFilter '
                'GROUP BY time($__interval), "sensor" fill(none)',
                alias="$tag_sensor",
            ),
            InfluxQL(
                f'SELECT last("temperature_celsius") FROM "juniper_operating" WHERE {DEVICE} '
                'AND "temperature_celsius" > 0 AND $timeFilter GROUP BY time($__interval), "component" fill(none)',
                alias="$tag_component",
            ),
            InfluxQL(
                f'SELECT last("temperature_celsius") FROM "huawei_entity" WHERE {DEVICE} '
                # 65535 means "no sensor on this board" on Comware and VRP.
                'AND "temperature_celsius" > 0 AND "temperature_celsius" < 65535 AND $timeFilter GROUP BY time($__interval), "entity" fill(none)',
                alias="$tag_entity",
            ),
            InfluxQL(
                f'SELECT last("temperature_celsius") FROM "h3c_entity" WHERE {DEVICE} '
                # 65535 means "no sensor on this board" on Comware and VRP.
                'AND "temperature_celsius" > 0 AND "temperature_celsius" < 65535 AND $timeFilter GROUP BY time($__interval), "entity" fill(none)',
                alias="$tag_entity",
            ),
        )
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Sensors (ENTITY-SENSOR-MIB)")
        .description("Raw value; the reading is value × 10^(scale exponent) / 10^precision.")
        .with_target(
            InfluxQL(
                'SELECT last("value") AS "value", last("precision") AS "precision", last("status") AS "status" '
                f'FROM "entity_sensor" WHERE {DEVICE} AND $timeFilter GROUP BY "entity", "sensor_type"',
                result_format="table",
            )
        )
    )
    board.add(
        targets(
            size(table.Panel(), 24, 6).title("Fans and power supplies"),
            InfluxQL(
                f'SELECT last("state") AS "state" FROM "cisco_fan" WHERE {DEVICE} AND $timeFilter GROUP BY "fan"',
                result_format="table",
            ),
            InfluxQL(
                f'SELECT last("state") AS "state" FROM "cisco_power_supply" WHERE {DEVICE} AND $timeFilter '
                'GROUP BY "supply"',
                result_format="table",
            ),
        ).override_by_name(
            "state",
            [
                model.DynamicConfigValue(
                    id_val="mappings", value=state_mappings(["normal"], ["critical", "shutdown"])
                )
            ],
        )
    )
    return board.build()
