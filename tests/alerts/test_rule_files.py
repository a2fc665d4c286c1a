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


def test_every_shipped_meaning_template_alerts_on_something_the_collectors_write() -> None:
    """A by_meaning template whose meaning no profile writes would never fire: each one expands to
    at least one rule, on the field the schema says carries that meaning."""
    import yaml

    from collectors.schema import build_schema

    schema = build_schema()
    templates = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["by_meaning"]
    rules = load_rule_file(DEFAULT_RULES)
    for template in templates:
        derived = [r for r in rules if r.name.startswith(template["name"] + "-")]
        assert derived, f"{template['name']}: no collector writes a field meaning {template['meaning']!r}"
        for rule in derived:
            assert rule.measurement is not None and rule.field is not None
            assert schema[rule.measurement].fields[rule.field].meaning == template["meaning"]
    cpu = {r.measurement for r in rules if r.labels.get("meaning") == "cpu_percent"}
    assert {"host_cpu", "cisco_cpu", "fortigate_system", "juniper_operating", "netapp_system"} <= cpu
    psu = next(r for r in rules if r.name == "psu-failed-cisco-power-supply")
    assert (psu.kind, psu.down_values, psu.important_only, psu.entity) == (
        "oper_down",
        ["critical", "shutdown", "notFunctioning"],
        False,
        ["supply"],
    )


def test_a_new_profile_gets_alerts_with_no_rule_file_changed(tmp_path: Path) -> None:
    """Derivation works from the schema: a profile of a vendor no rule names, declaring
    cpu_percent and psu_state, gets a CPU and a power-supply rule from the shipped templates."""
    import shutil

    from collectors.schema import build_schema
    from collectors.snmp.profile import PROFILES_DIR, ProfileSet

    for path in PROFILES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "acme.yaml").write_text(
        "name: acme\ninclude: [generic]\nmatch: {sys_object_id: [1.3.6.1.4.1.99999]}\nmetrics:\n"
        "  - measurement: acme_box\n    table: 1.3.6.1.4.1.99999.1\n    index_tag: acmeIndex\n    fields:\n"
        "      - {field: busy, oid: 1.3.6.1.4.1.99999.1.1.2, mib_name: acmeBusy, type: int,"
        ' meaning: cpu_percent, unit: "%"}\n'
        "      - {field: psu, oid: 1.3.6.1.4.1.99999.1.1.3, mib_name: acmePsu, type: str,"
        " meaning: psu_state, unit: state, failed_values: [broken], enum: {1: fine, 2: broken}}\n"
    )
    rules = {r.name: r for r in load_rule_file(DEFAULT_RULES, build_schema(ProfileSet.load(tmp_path)))}
    assert (rules["cpu-high-acme-box"].field, rules["cpu-high-acme-box"].entity) == ("busy", ["acmeIndex"])
    assert rules["psu-failed-acme-box"].down_values == ["broken"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "by_meaning:\n  - {name: t, meaning: hotness, kind: threshold, value: 1}\n",
            "not in collectors/meanings",
        ),
        (
            "by_meaning:\n  - {name: t, meaning: cpu_percent, field: x, value: 1}\n",
            "field: a by_meaning template",
        ),
        ("by_meaning:\n  - {name: t, meaning: cpu_percent, kind: stale}\n", "threshold or an oper_down"),
        ("by_meaning:\n  - {name: t, meaning: cpu_percent, kind: threshold}\n", "value is required"),
    ],
)
def test_a_bad_meaning_template_is_refused_with_a_sentence(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "site-rules.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RuleFileError) as refused:
        load_rule_file(path)
    assert "by_meaning t" in str(refused.value) and message in str(refused.value)
