"""What issue 16's "done" asks, as checks that fail: every field a profile writes has a meaning and
a unit from the vocabulary (tests/snmp/test_profiles.py checks the profiles; here, the schema);
every shipped rule file (the defaults with their by_meaning expansions, and the demo's) names
only measurements, fields and tags some collector writes. Every dashboard query is checked the
same way, field by field, in tests/dashboards/test_queries_match_schema.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.schema import Schema, build_schema
from collectors.snmp.profile import ProfileSet
from eams.alerts.rules.loader import DEFAULT_RULES, load_rule_file
from eams.alerts.rules.spec import RuleSpec
from eams.demo.runner import DEMO_RULES

SHIPPED_RULE_FILES = [DEFAULT_RULES, DEMO_RULES]


def unwritten(rules: list[RuleSpec], schema: Schema) -> list[str]:
    """The rules' references to measurements, fields and tags that no collector writes."""
    problems = []
    for rule in rules:
        if rule.measurement is None:
            continue
        if rule.measurement not in schema:
            problems.append(f"{rule.name}: no collector writes {rule.measurement}")
            continue
        declared = schema[rule.measurement]
        for field in (rule.field, rule.percent_of):
            if field is not None and field not in declared.fields:
                problems.append(f"{rule.name}: {rule.measurement} has no field {field}")
        for tag in rule.entity:
            if tag not in declared.tags:
                problems.append(f"{rule.name}: {rule.measurement} has no tag {tag}")
    return problems


def test_every_snmp_measurement_field_in_the_schema_carries_its_meaning() -> None:
    schema = build_schema()
    profiles = ProfileSet.load()
    written = {metric.measurement for _, metric in profiles.all_metrics()}
    missing = [
        f"{name}.{field}"
        for name in sorted(written)
        for field, spec in schema[name].fields.items()
        if not spec.meaning or not spec.unit
    ]
    assert missing == []


@pytest.mark.parametrize("path", SHIPPED_RULE_FILES, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_shipped_rule_names_only_what_a_collector_writes(path: Path) -> None:
    assert unwritten(load_rule_file(path), build_schema()) == []


def test_the_check_catches_a_rule_on_a_field_no_profile_writes(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - {name: cpu-hot, kind: threshold, measurement: host_cpu, field: load_pct, value: 90,"
        " entity: [cpu]}\n  - {name: gone, kind: threshold, measurement: nowhere, field: x, value: 1}\n",
        encoding="utf-8",
    )
    assert unwritten(load_rule_file(path), build_schema()) == [
        "cpu-hot: host_cpu has no field load_pct",
        "cpu-hot: host_cpu has no tag cpu",
        "gone: no collector writes nowhere",
    ]
