"""One device, chosen with the `device` variable: interfaces, errors, CPU, memory, storage, sensors."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import (
    DEVICE,
    cpu_queries,
    failed_state_mappings,
    meaning_queries,
    memory_queries,
    state_mappings,
    state_queries,
    up_down_mappings,
)
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
            .title("Disks used")
            .description(
                "Every field meaning disk_used_percent: HOST-RESOURCES disks, FortiGate's log disk, NAS volumes ..."
            )
            .unit("percent")
            .decimals(1),
            *meaning_queries("disk_used_percent", DEVICE, "", aggregate="last", per_row=True),
        )
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
            *meaning_queries("temperature_c", DEVICE, "", aggregate="last", time_series=True, per_row=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8).title("Fans and power drawn"),
            *meaning_queries("fan_rpm", DEVICE, "", aggregate="last", time_series=True, per_row=True),
            *meaning_queries("power_w", DEVICE, "", aggregate="last", time_series=True, per_row=True),
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
            size(table.Panel(), 12, 8)
            .title("Hardware state")
            .description(
                "Every field with a state meaning that can fail: power supplies, fans, disks, RAID, modules, HA."
            ),
            *state_queries(DEVICE),
        ).override_by_name(
            "state", [model.DynamicConfigValue(id_val="mappings", value=failed_state_mappings())]
        )
    )
    return board.build()
