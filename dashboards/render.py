"""Render every dashboard to the JSON Grafana provisions (`dashboards/json/<uid>.json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from collectors.schema import Schema, build_schema
from dashboards.boards import collectors, device, overview, power, security
from dashboards.influxql import problems

JSON_DIR = Path(__file__).parent / "json"

# In the order a newcomer reads them.
BUILDERS: tuple[Callable[[], Dashboard], ...] = (
    overview.build,
    device.build,
    security.build,
    power.build,
    collectors.build,
)


def dashboards() -> list[dict[str, Any]]:
    """Every dashboard as the JSON model Grafana stores (plain dicts)."""
    return [json.loads(json.dumps(build(), cls=JSONEncoder)) for build in BUILDERS]


def render_all() -> dict[str, str]:
    """File name -> file text, stable from one run to the next (sorted keys, fixed indent)."""
    return {
        f"{board['uid']}.json": json.dumps(board, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for board in dashboards()
    }


def write(folder: Path = JSON_DIR) -> list[Path]:
    """Write every dashboard into `folder`, removing rendered files of dashboards that no longer exist."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = render_all()
    for stale in folder.glob("eams-*.json"):
        if stale.name not in rendered:
            stale.unlink()
    written = []
    for name, text in rendered.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def differences(folder: Path = JSON_DIR) -> list[str]:
    """File names in `folder` that differ from a fresh render (missing, changed or left over)."""
    rendered = render_all()
    present = {p.name for p in folder.glob("eams-*.json")}
    changed = [
        name
        for name, text in rendered.items()
        if name not in present or (folder / name).read_text(encoding="utf-8") != text
    ]
    return sorted(changed + sorted(present - set(rendered)))


def schema_problems(boards: list[dict[str, Any]], schema: Schema | None = None) -> list[str]:
    """Every InfluxQL query that names something the collectors' schema does not declare."""
    schema = schema if schema is not None else build_schema()
    found: list[str] = []
    for board in boards:
        variables = [v for v in board.get("templating", {}).get("list", []) if v.get("type") == "query"]
        names = {v["name"] for v in variables}
        queries = [(f"variable {v['name']}", v["query"]) for v in variables]
        for panel in board.get("panels", []):
            for target in panel.get("targets", []):
                if target.get("datasource", {}).get("type") == "influxdb":
                    queries.append((f"{panel['title']} {target['refId']}", target["query"]))
        for where, query in queries:
            found.extend(f"{board['uid']} / {where}: {problem}" for problem in problems(query, schema, names))
    return found
