"""Rule files: the shipped defaults load, and a bad file says which file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from eams.alerts.rules.loader import DEFAULT_RULES, RuleFileError, load_rule_file


def test_the_shipped_rules_load_and_cover_every_kind() -> None:
    rules = load_rule_file(DEFAULT_RULES)
    assert {r.kind for r in rules} == {
        "threshold",
        "unreachable",
        "oper_down",
        "stale",
        "event",
        "absence",
        "inventory",
    }
    utilisation = next(r for r in rules if r.name == "interface-utilisation-high")
    assert (utilisation.for_, utilisation.clear, utilisation.entity) == (300.0, 75, ["ifName"])
    assert all(r.summary.en and r.summary.vi for r in rules), "every shipped rule speaks both languages"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules:\n  - {name: a, kind: threshold, measurement: cpu, field: x}\n", "rule a: value is required"),
        (
            "rules:\n  - {name: b, kind: threshold, measurement: cpu, field: x, value: 1, for: soon}\n",
            "rule b: for: ",
        ),
        ("rules:\n  - {name: c, kind: stale, measurement: m, colour: red}\n", "rule c: colour:"),
        ("rules:\n  - {name: d, kind: event}\n  - {name: d, kind: event, match: {kind: x}}\n", "rule d:"),
        ("rules: {name: e}\n", "a list under 'rules'"),
        ("rules: [\n", "cannot read rules"),
    ],
)
def test_a_bad_rule_file_is_refused_with_a_sentence(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "site-rules.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert str(path) in str(refused.value) and message in str(refused.value)


def test_every_shipped_metric_rule_reads_what_the_collectors_write() -> None:
    """A rule naming a field no collector writes never fires, silently: check them against the
    measurement schema the collectors declare (the SNMP profiles plus the declared measurements)."""
    from collectors.schema import build_schema

    schema = build_schema()
    for rule in load_rule_file(DEFAULT_RULES):
        if rule.measurement is None:
            continue
        assert rule.measurement in schema, f"{rule.name}: no collector writes {rule.measurement!r}"
        declared = schema[rule.measurement]
        for field in (rule.field, rule.percent_of):
            if field is not None:
                assert field in declared.fields, f"{rule.name}: {rule.measurement} has no field {field!r}"
        for tag in rule.entity:
            assert tag in declared.tags, f"{rule.name}: {rule.measurement} has no tag {tag!r}"
        if rule.source == "rate":
            assert declared.fields[rule.field].counter, f"{rule.name}: {rule.field} is not a counter"
