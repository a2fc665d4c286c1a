"""Security appliances: firewall sessions, VPN tunnels, HA state, trap and syslog events over time."""

# ruff: noqa: E501 (an InfluxQL clause reads best on one line)

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.common import GraphDrawStyle

from dashboards.boards.common import meaning_queries, state_mappings
from dashboards.boards.firing import firing_alerts
from dashboards.layout import Board, size, targets
from dashboards.queries import InfluxQL

UID = "eams-security"
GROUPED = 'GROUP BY time($__interval), "device" fill(none)'


def build() -> model.Dashboard:
    board = Board(UID, "EAMS · Security appliances", "Firewalls and VPN: sessions, tunnels, HA, traps.")
    board.row("Sessions")
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8)
            .title("Active sessions")
            .description("Every field meaning sessions: firewall and load-balancer connection tables."),
            *meaning_queries("sessions", "", '"device"', aggregate="last", time_series=True, per_row=True),
        )
    )
    board.add(
        targets(
            size(timeseries.Panel(), 12, 8)
            .title("Session table use")
            .description("Every field meaning sessions_used_percent.")
            .unit("percent"),
            *meaning_queries(
                "sessions_used_percent", "", '"device"', aggregate="last", alias="sessions", time_series=True
            ),
        )
    )
    vpn = [
        *meaning_queries("vpn_users", "", '"device"', aggregate="last", time_series=True),
        *meaning_queries("vpn_tunnels", "", '"device"', aggregate="last", time_series=True),
    ]
    if vpn:
        board.add(targets(size(timeseries.Panel(), 24, 6).title("VPN users and tunnels"), *vpn))

    board.row("VPN and HA")
    board.add(
        size(table.Panel(), 12, 8)
        .title("VPN tunnels")
        .description("FortiGate IPsec phase-2 tunnels: state and traffic in the time range.")
        .with_target(
            InfluxQL(
                'SELECT last("status") AS "status", spread("in_octets") AS "in_bytes", spread("out_octets") AS "out_bytes" '
                'FROM "fortigate_vpn_tunnel" WHERE $timeFilter GROUP BY "device", "phase1", "tunnel"',
                result_format="table",
            )
        )
        .override_by_name(
            "status", [model.DynamicConfigValue(id_val="mappings", value=state_mappings(["up"], ["down"]))]
        )
    )
    board.add(
        targets(
            size(table.Panel(), 12, 8).title("High availability"),
            InfluxQL(
                'SELECT last("ha_mode") AS "ha_mode", last("serial") AS "serial", last("version") AS "version" '
                'FROM "fortigate_system" WHERE $timeFilter GROUP BY "device"',
                result_format="table",
            ),
            InfluxQL(
                'SELECT last("sync_status") AS "sync_status", last("sessions") AS "sessions" '
                'FROM "fortigate_ha_member" WHERE $timeFilter GROUP BY "device", "member"',
                result_format="table",
            ),
        ).override_by_name(
            "sync_status",
            [
                model.DynamicConfigValue(
                    id_val="mappings", value=state_mappings(["synchronized"], ["unsynchronized"])
                )
            ],
        )
    )

    board.row("Traps and alerts")
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Trap events")
        .description("SNMP traps received, by severity.")
        .with_target(
            InfluxQL(
                'SELECT sum("count") FROM "snmp_trap" WHERE $timeFilter GROUP BY time($__interval), "severity" fill(none)',
                alias="$tag_severity",
            )
        )
        .draw_style(GraphDrawStyle.BARS)
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Security traps")
        .with_target(
            InfluxQL(
                'SELECT "device", "name", "severity", "message" FROM "snmp_trap" '
                "WHERE \"category\" = 'security' AND $timeFilter ORDER BY time DESC LIMIT 200",
                result_format="table",
            )
        )
    )
    board.add(firing_alerts(24, 8, category="security"))

    board.row("Syslog")
    board.add(
        size(timeseries.Panel(), 12, 8)
        .title("Syslog messages")
        .description("Messages received by the syslog intake, by severity (counts; the text stays in eams).")
        .with_target(
            InfluxQL(
                'SELECT sum("count") FROM "syslog" WHERE $timeFilter GROUP BY time($__interval), "severity" fill(none)',
                alias="$tag_severity",
            )
        )
        .draw_style(GraphDrawStyle.BARS)
    )
    board.add(
        size(table.Panel(), 12, 8)
        .title("Syslog events that matter")
        .description(
            "Failed sign-ins, configuration changes, VPN, IPS/AV, HA ... per device and vendor format."
        )
        .with_target(
            InfluxQL(
                'SELECT sum("count") AS "messages" FROM "syslog" '
                'WHERE "event" != \'none\' AND $timeFilter GROUP BY "device", "event", "vendor"',
                result_format="table",
            )
        )
    )
    return board.build()
