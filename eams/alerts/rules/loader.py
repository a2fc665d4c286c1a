"""Reading rules from YAML files (a list under `rules:`, templates under `by_meaning:`) with
errors that name file and rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from collectors.meanings import vocabulary
from collectors.schema import Schema, build_schema
from eams.alerts.rules.by_meaning import MeaningTemplate, expand
from eams.alerts.rules.spec import RuleSpec, first_problem

DEFAULT_RULES = Path(__file__).with_name("defaults.yaml")


class RuleFileError(ValueError):
    pass


def load_rule_file(path: Path, schema: Schema | None = None) -> list[RuleSpec]:
    """The file's rules, then its `by_meaning` templates expanded against the measurement schema
    (`schema`, else the one the shipped profiles and declarations make)."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: cannot read rules: {exc}") from None
    items = (document or {}).get("rules", []) if isinstance(document, dict) else None
    templates = (document or {}).get("by_meaning", []) if isinstance(document, dict) else None
    if not isinstance(items, list) or not isinstance(templates, list):
        raise RuleFileError(f"{path}: expected a mapping with a list under 'rules' (and 'by_meaning')")
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
    known = vocabulary()
    if templates and schema is None:
        schema = build_schema()
    for position, item in enumerate(templates):
        label = item.get("name", f"#{position + 1}") if isinstance(item, dict) else f"#{position + 1}"
        try:
            template = MeaningTemplate.parse(item if isinstance(item, dict) else {})
            if template.meaning not in known:
                raise ValueError(f"meaning: {template.meaning!r} is not in collectors/meanings.yaml")
            derived = expand(template, schema) if schema is not None else []
        except ValidationError as exc:
            raise RuleFileError(f"{path}: by_meaning {label}: {first_problem(exc)[1]}") from None
        except ValueError as exc:
            raise RuleFileError(f"{path}: by_meaning {label}: {exc}") from None
        for spec in derived:
            if spec.name in seen:
                raise RuleFileError(f"{path}: rule {spec.name} (from by_meaning {label}) is defined twice")
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
