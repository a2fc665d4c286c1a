"""Walk the rendered dashboards: every panel (rows included) and every InfluxQL query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dashboards.render import dashboards

BOARDS: list[dict[str, Any]] = dashboards()


def all_panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # a collapsed row holds its panels


def variables(board: dict[str, Any]) -> set[str]:
    return {v["name"] for v in board.get("templating", {}).get("list", [])}


@dataclass(frozen=True)
class Query:
    board: str
    panel: str
    ref_id: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.board} / {self.panel} / {self.ref_id}"


def influxql_queries(board: dict[str, Any]) -> list[Query]:
    """Panel queries and variable queries that go to the InfluxDB data source."""
    found = [
        Query(board["uid"], f"variable {v['name']}", "-", v["query"])
        for v in board.get("templating", {}).get("list", [])
        if v.get("datasource", {}).get("type") == "influxdb"
    ]
    for panel in all_panels(board):
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("type") == "influxdb":
                found.append(Query(board["uid"], panel["title"], target["refId"], target["query"]))
    return found


ALL_QUERIES: list[Query] = [q for board in BOARDS for q in influxql_queries(board)]
