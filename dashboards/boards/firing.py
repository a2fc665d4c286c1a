"""The panel listing firing alerts from the service's own API (`GET /api/v1/alerts`).

Alerts live in the service's database, not in InfluxDB, so this panel reads them through the
Infinity data source (plugin `yesoreyeram-infinity-datasource`, uid `eams-api`) pointed at the
service with a read-only token: see dashboards/README.md, "Alerts panel".
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.models import dashboard as model

from dashboards.boards.common import state_mappings
from dashboards.layout import size
from dashboards.queries import API, AlertsAPI, Column

ALERTS_PATH = "/api/v1/alerts"
COLUMNS = [
    Column("severity", "Severity"),
    Column("summary", "Summary"),
    Column("summary_vi", "Tóm tắt"),
    Column("entity", "Entity"),
    Column("category", "Category"),
    Column("rule_name", "Rule"),
    Column("firing_at", "Firing since", "timestamp"),
    Column("acked_by", "Acknowledged by"),
]


def firing_alerts(width: int, height: int, *, category: str | None = None) -> table.Panel:
    params = {"state": "firing", "limit": "200", "ordering": "-firing_at"}
    if category:
        params["category"] = category
    title = "Firing alerts" if category is None else f"Firing {category} alerts"
    return (
        size(table.Panel(), width, height)
        .title(title)
        .description(
            "From the EAMS service's /api/v1/alerts through the Infinity data source (uid eams-api)."
        )
        .datasource(API)
        .with_target(AlertsAPI(ALERTS_PATH, params, COLUMNS))
        .override_by_name(
            "Severity",
            [
                model.DynamicConfigValue(
                    id_val="mappings", value=state_mappings(["info"], ["critical"], ("warning",))
                ),
                model.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
            ],
        )
        .filterable(True)
    )
