"""Shipped rules that `by_meaning` templates replaced, retired from databases seeded before.

Seeding adds rules by name only, so a database seeded by an earlier release keeps its per-vendor
rules (cpu-high-cisco ...) beside the derived ones (cpu-high-cisco-cpu ...): two alerts for one
breach. A listed rule that is still exactly as a release shipped it is disabled and labelled;
one a person edited is kept as it is, with a warning, because their edit is the truth.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.alerts.models import AlertRule
from eams.alerts.rules.spec import RuleSpec

log = logging.getLogger(__name__)

RETIRED_RULES = Path(__file__).with_name("retired_rules.yaml")


@dataclass(frozen=True)
class RetiredRule:
    name: str
    replaced_by: tuple[str, ...]  # the by_meaning templates that now cover it
    shipped: frozenset[str]  # every shipped version, normalised (see `normalised`)


def normalised(spec: dict[str, Any]) -> str | None:
    """One text per rule meaning, whatever defaults the stored copy spelt out; None if invalid."""
    try:
        return json.dumps(RuleSpec.model_validate(spec).dump(), sort_keys=True)
    except ValueError:
        return None


def load_retired(path: Path = RETIRED_RULES) -> dict[str, RetiredRule]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, RetiredRule] = {}
    for item in document["retired"]:
        versions = {normalised({"name": item["name"], **body}) for body in item["shipped"]}
        if None in versions:
            raise ValueError(f"{path}: a shipped version of {item['name']} is not a valid rule")
        found[item["name"]] = RetiredRule(
            item["name"], tuple(item["replaced_by"]), frozenset(v for v in versions if v)
        )
    return found


def retire_replaced_rules(
    session: Session, declared: set[str], retired: dict[str, RetiredRule] | None = None
) -> list[str]:
    """Disable the listed rules still as shipped; return their names. Idempotent: a retired rule
    no longer equals a shipped version, so a person who enables it again is not overruled. Names
    a rule file still `declared` (an operator's own file kept the old rule) are left alone."""
    retired = load_retired() if retired is None else retired
    names = [name for name in retired if name not in declared]
    done: list[str] = []
    rows = session.scalars(select(AlertRule).where(AlertRule.name.in_(names), AlertRule.origin == "file"))
    for row in rows:
        entry = retired[row.name]
        if normalised(row.spec) not in entry.shipped:
            if row.enabled and not (row.spec.get("labels") or {}).get("retired"):
                log.warning(
                    "alert rule %s was shipped by an earlier release and edited since: kept; the "
                    "by_meaning rule(s) %s now alert on the same breach, so disable one of them",
                    row.name,
                    ", ".join(entry.replaced_by),
                )
            continue
        labels = {**(row.spec.get("labels") or {}), "retired": "by_meaning " + ", ".join(entry.replaced_by)}
        row.spec = {**row.spec, "enabled": False, "labels": labels}
        row.enabled = False
        done.append(row.name)
        log.info("alert rule %s retired: replaced by by_meaning %s", row.name, ", ".join(entry.replaced_by))
    return done
