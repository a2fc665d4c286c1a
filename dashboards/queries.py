"""Panel queries as the SDK's generic dataquery: the SDK has no InfluxDB or Infinity builder.

`InfluxQL` is a raw InfluxQL target on the provisioned InfluxDB datasource (uid `eams-influxdb`);
`AlertsAPI` reads the service's `/api/v1/alerts` through the Infinity datasource (uid `eams-api`).
Both render to the JSON the Grafana 11.6 query editors save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models.dashboard import DataSourceRef

INFLUX_UID = "eams-influxdb"
INFLUX = DataSourceRef(type_val="influxdb", uid=INFLUX_UID)
API_UID = "eams-api"
API = DataSourceRef(type_val="yesoreyeram-infinity-datasource", uid=API_UID)

ResultFormat = Literal["time_series", "table"]


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """A raw InfluxQL query; `alias` may use $tag_<name> as Grafana's InfluxDB datasource allows."""

    def __init__(
        self, query: str, *, ref_id: str = "A", result_format: ResultFormat = "time_series", alias: str = ""
    ) -> None:
        self.query = " ".join(query.split())
        self.ref_id = ref_id
        self.result_format = result_format
        self.alias = alias

    def build(self) -> cogvariants.Dataquery:
        target: dict[str, object] = {
            "refId": self.ref_id,
            "datasource": {"type": INFLUX.type_val, "uid": INFLUX.uid},
            "query": self.query,
            "rawQuery": True,
            "resultFormat": self.result_format,
        }
        if self.alias:
            target["alias"] = self.alias
        return UnknownDataquery(target)


@dataclass(frozen=True)
class Column:
    selector: str
    text: str
    type: Literal["string", "number", "timestamp"] = "string"


@dataclass
class AlertsAPI(cogbuilder.Builder[cogvariants.Dataquery]):
    """The service's alert list as a table, through the Infinity plugin's JSON URL query."""

    path: str
    params: dict[str, str]
    columns: list[Column] = field(default_factory=list)
    ref_id: str = "A"

    def build(self) -> cogvariants.Dataquery:
        return UnknownDataquery(
            {
                "refId": self.ref_id,
                "datasource": {"type": API.type_val, "uid": API.uid},
                "type": "json",
                "source": "url",
                "format": "table",
                "parser": "backend",
                "url": self.path,
                "url_options": {
                    "method": "GET",
                    "data": "",
                    "params": [{"key": key, "value": value} for key, value in self.params.items()],
                },
                "root_selector": "results",
                "columns": [{"selector": c.selector, "text": c.text, "type": c.type} for c in self.columns],
            }
        )
