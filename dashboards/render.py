"""Render every dashboard to the JSON Grafana provisions (`dashboards/json/<uid>.json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.boards import collectors, device, overview, power, security

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
