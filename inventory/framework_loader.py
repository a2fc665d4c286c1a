"""Load a framework version and its reference-model nodes from YAML or CSV.

YAML: `framework:` (code, name, issued_by, issued_on, description) and `nodes:` (model, code, name,
parent, description). CSV: columns model, code, name, parent_code, description; the version's code
and name come from the caller. Parents may be listed after their children.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import FrameworkVersion, ReferenceModel, ReferenceModelNode

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"


class FrameworkFileError(ValueError):
    """The file cannot be loaded; the message names the file and the entry at fault."""


@dataclass(frozen=True)
class NodeRow:
    model: str
    code: str
    name: str
    parent: str | None
    description: str | None


def read_framework(
    path: Path, code: str | None = None, name: str | None = None
) -> tuple[dict[str, Any], list[NodeRow]]:
    if not path.is_file():
        raise FrameworkFileError(f"{path}: no such file")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise FrameworkFileError(f"{path}: not valid YAML: {exc}") from None
        meta = dict(document.get("framework") or {})
        raw = document.get("nodes") or []
        rows = [
            NodeRow(
                str(item.get("model", "")),
                str(item.get("code", "")),
                str(item.get("name", "")),
                item.get("parent"),
                item.get("description"),
            )
            for item in raw
        ]
    elif path.suffix.lower() == ".csv":
        meta = {}
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"model", "code", "name"} - set(reader.fieldnames or [])
            if missing:
                raise FrameworkFileError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            rows = [
                NodeRow(
                    r["model"].strip(),
                    r["code"].strip(),
                    r["name"].strip(),
                    (r.get("parent_code") or "").strip() or None,
                    (r.get("description") or "").strip() or None,
                )
                for r in reader
            ]
    else:
        raise FrameworkFileError(f"{path}: use a .yaml, .yml or .csv file")
    if code:
        meta["code"] = code
    if name:
        meta["name"] = name
    if not meta.get("code") or not meta.get("name"):
        raise FrameworkFileError(f"{path}: the framework version needs a code and a name")
    return meta, rows


def load_framework(
    session: Session, path: Path, code: str | None = None, name: str | None = None
) -> FrameworkVersion:
    """Create the version and its nodes; refuses a version code that already exists."""
    from inventory.schemas.architecture import FrameworkVersionCreate

    meta, rows = read_framework(path, code, name)
    try:
        version_values = FrameworkVersionCreate.model_validate(meta).model_dump()
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise FrameworkFileError(
            f"{path}: framework.{'.'.join(map(str, problem['loc']))}: {problem['msg']}"
        ) from None
    if session.scalar(select(FrameworkVersion.id).where(FrameworkVersion.code == version_values["code"])):
        raise FrameworkFileError(f"framework version {version_values['code']} is already loaded")
    version = FrameworkVersion(**version_values)
    session.add(version)
    session.flush()

    nodes: dict[str, ReferenceModelNode] = {}
    for index, row in enumerate(rows, start=1):
        where = f"{path}: node {index} ({row.code or 'no code'})"
        try:
            model = ReferenceModel(row.model.upper())
        except ValueError:
            raise FrameworkFileError(f"{where}: model must be one of BRM, DRM, ARM, TRM, SRM") from None
        if not row.code or not row.name:
            raise FrameworkFileError(f"{where}: code and name are required")
        if row.code in nodes:
            raise FrameworkFileError(f"{where}: code {row.code} appears twice")
        nodes[row.code] = ReferenceModelNode(
            framework_id=version.id, model=model, code=row.code, name=row.name, description=row.description
        )
    session.add_all(nodes.values())
    session.flush()
    for row in rows:
        if row.parent is None:
            continue
        parent = nodes.get(row.parent)
        if parent is None:
            raise FrameworkFileError(f"{path}: node {row.code}: parent {row.parent} is not in the file")
        nodes[row.code].parent_id = parent.id
    session.flush()
    return version
