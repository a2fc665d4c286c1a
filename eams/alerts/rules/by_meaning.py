"""Rules derived from field meanings: one template (`by_meaning:` in a rule file) becomes one rule
per measurement whose schema has a field of that meaning, so a new SNMP profile that declares
`meaning: cpu_percent` is alerted on without any rule file being edited.

A threshold template compares the field; a state template (kind `oper_down`) fires on the values
the profile listed as `failed_values` for that field (a field with none gets no rule).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from collectors.schema import Schema
from eams.alerts.rules.spec import RuleSpec, Strict


class MeaningTemplate(Strict):
    """A rule without measurement, field or entity: those come from each field of `meaning`."""

    name: str = Field(min_length=1, max_length=120)
    meaning: str
    kind: str = "threshold"
    every_field: bool = Field(False, description="one rule per field of the meaning, not per measurement")
    rule: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, item: dict[str, Any]) -> MeaningTemplate:
        body = dict(item)
        head = {key: body.pop(key) for key in ("name", "meaning", "kind", "every_field") if key in body}
        for forbidden in ("measurement", "field", "entity", "down_values"):
            if forbidden in body:
                raise ValueError(f"{forbidden}: a by_meaning template takes it from each field, not here")
        if head.get("kind", "threshold") not in ("threshold", "oper_down"):
            raise ValueError("kind: a by_meaning template is a threshold or an oper_down rule")
        return cls(**head, rule=body)


def expand(template: MeaningTemplate, schema: Schema) -> list[RuleSpec]:
    """One rule per measurement writing `template.meaning`, checked like any rule."""
    rules: list[RuleSpec] = []
    for measurement, spec in schema.by_meaning(template.meaning, every_field=template.every_field):
        name = f"{template.name}-{measurement.name}" + (f"-{spec.name}" if template.every_field else "")
        body: dict[str, Any] = {
            **template.rule,
            "name": name.replace("_", "-"),
            "kind": template.kind,
            "measurement": measurement.name,
            "field": spec.name,
            "entity": list(measurement.entity_tags),
            "labels": {**template.rule.get("labels", {}), "meaning": template.meaning},
        }
        if template.kind == "oper_down":
            if not spec.failed_values:
                continue
            body["down_values"] = list(spec.failed_values)
            body["important_only"] = False
        rules.append(RuleSpec.model_validate(body))
    return rules
