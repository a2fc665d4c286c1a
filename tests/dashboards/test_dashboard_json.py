"""The checked-in dashboard JSON is what the code renders, and is valid for Grafana 11.6.

No Grafana can run here: validity is checked against Grafana 11.6's dashboard model as the
SDK build pinned for it describes (schemaVersion 41) and the rules Grafana's loader enforces
(unique ids and uids, a layout inside 24 columns, known data sources, defined variables).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collectors.schema import build_schema
from dashboards.queries import API_UID, INFLUX_UID
from dashboards.render import JSON_DIR, differences, render_all, write
from eams.cli.main import app
from tests.dashboards.panels import BOARDS, all_panels, variables

GRAFANA_11_6_SCHEMA_VERSION = 41
DATASOURCES = {INFLUX_UID: "influxdb", API_UID: "yesoreyeram-infinity-datasource", "-- Grafana --": "grafana"}
PANEL_TYPES = {"row", "timeseries", "stat", "table", "bargauge", "gauge", "state-timeline", "text"}
ids = [board["uid"] for board in BOARDS]


def test_the_checked_in_json_equals_a_fresh_render() -> None:
    assert differences(JSON_DIR) == [], "run `eams dashboards render` and commit dashboards/json/"
    for name, text in render_all().items():
        assert (JSON_DIR / name).read_text(encoding="utf-8") == text


def test_render_check_fails_on_a_stale_file_and_render_fixes_it(tmp_path: Path) -> None:
    runner = CliRunner()
    write(tmp_path)
    assert runner.invoke(app, ["dashboards", "render", "--check", "--out", str(tmp_path)]).exit_code == 0
    stale = tmp_path / "eams-device.json"
    stale.write_text(stale.read_text().replace("Traffic in", "Traffic"))
    (tmp_path / "eams-retired.json").write_text("{}")
    result = runner.invoke(app, ["dashboards", "render", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "eams-device.json" in result.output and "eams-retired.json" in result.output
    assert runner.invoke(app, ["dashboards", "render", "--out", str(tmp_path)]).exit_code == 0
    assert differences(tmp_path) == [] and not (tmp_path / "eams-retired.json").exists()


def test_the_five_dashboards_the_issue_asks_for() -> None:
    assert ids == ["eams-overview", "eams-device", "eams-security", "eams-power", "eams-collectors"]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]{1,40}", uid) for uid in ids)  # Grafana's uid limit is 40


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_dashboard_is_valid_for_grafana_11_6(board: dict[str, Any]) -> None:
    assert board["schemaVersion"] == GRAFANA_11_6_SCHEMA_VERSION
    assert board["title"].startswith("EAMS · ") and "eams" in board["tags"]
    assert "id" not in board or board["id"] is None, "a provisioned dashboard carries no database id"
    assert board["time"] == {"from": "now-6h", "to": "now"}
    panels = list(all_panels(board))
    panel_ids = [p["id"] for p in panels]
    assert len(panel_ids) == len(set(panel_ids)) and all(isinstance(i, int) and i > 0 for i in panel_ids)
    for panel in panels:
        assert panel["type"] in PANEL_TYPES, panel["type"]
        assert panel["title"]
        _check_grid(panel)
        if panel["type"] == "row":
            continue
        assert panel["targets"], f"{panel['title']} has no query"
        source = panel["datasource"]
        assert DATASOURCES.get(source["uid"]) == source["type"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), f"{panel['title']}: repeated refId"
        for target in panel["targets"]:
            assert DATASOURCES.get(target["datasource"]["uid"]) == target["datasource"]["type"]
            if target["datasource"]["type"] == "influxdb":
                assert target["rawQuery"] is True and target["resultFormat"] in ("time_series", "table")
    _check_no_overlap(panels)
    _check_templating(board)


def _check_grid(panel: dict[str, Any]) -> None:
    grid = panel["gridPos"]
    assert set(grid) == {"x", "y", "w", "h"}
    assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["w"] > 0 and grid["h"] > 0


def _check_no_overlap(panels: list[dict[str, Any]]) -> None:
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def _check_templating(board: dict[str, Any]) -> None:
    defined = variables(board)
    for variable in board["templating"].get("list", []):
        assert variable["type"] == "query" and variable["datasource"]["uid"] == INFLUX_UID
        assert variable["refresh"] in (1, 2)
    used = set(re.findall(r"\$\{?(\w+)", json.dumps(board["panels"])))
    # $tag_<name> in an alias: any tag the schema declares (meaning-derived panels group by the
    # row tag of whichever measurement they read).
    schema_tags = {f"tag_{tag}" for m in build_schema() for tag in m.tags}
    assert used - defined - schema_tags <= {"timeFilter", "__interval", "__interval_ms", "col"}
    assert defined <= used, "every variable is used by some panel"
    if board["uid"] == "eams-device":
        assert defined == {"device"}


def test_alert_panels_read_the_service_api_through_infinity() -> None:
    alert_panels = [p for b in BOARDS for p in all_panels(b) if p.get("datasource", {}).get("uid") == API_UID]
    assert {p["title"] for p in alert_panels} == {"Firing alerts", "Firing security alerts"}
    for panel in alert_panels:
        (target,) = panel["targets"]
        assert target["url"] == "/api/v1/alerts" and target["root_selector"] == "results"
        assert {"key": "state", "value": "firing"} in target["url_options"]["params"]


def test_alert_panel_columns_are_fields_of_the_alerts_api() -> None:
    """Runs once the alerts API (eams/alerts, another branch) is merged: the panel's columns must be
    fields of the JSON that `GET /api/v1/alerts` returns in `results`."""
    schemas = pytest.importorskip("eams.alerts.schemas", reason="the alerts API is not in this branch yet")
    from dashboards.boards.firing import COLUMNS

    assert {column.selector for column in COLUMNS} <= set(schemas.AlertRead.model_fields)
