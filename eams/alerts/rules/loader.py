"""Reading rules from YAML files (a list under `rules:`) with errors that name file and rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from eams.alerts.rules.spec import RuleSpec, first_problem

DEFAULT_RULES = Path(__file__).with_name("defaults.yaml")


class RuleFileError(ValueError):
    pass


def load_rule_file(path: Path) -> list[RuleSpec]:
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: cannot read rules: {exc}") from None
    items = (document or {}).get("rules", []) if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise RuleFileError(f"{path}: expected a mapping with a list under 'rules'")
    specs: list[RuleSpec] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        label = item.get("name", f"#{position + 1}") if isinstance(item, dict) else f"#{position + 1}"
        try:
            spec = RuleSpec.model_validate(item)
        except ValidationError as exc:
            raise RuleFileError(f"{path}: rule {label}: {first_problem(exc)[1]}") from None
        if spec.name in seen:
            raise RuleFileError(f"{path}: rule {spec.name} is defined twice")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def load_rule_files(paths: list[Path]) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for path in paths:
        files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        for file in files:
            specs.extend(load_rule_file(file))
    return specs
