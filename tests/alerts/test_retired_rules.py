"""A database seeded by an earlier release holds per-vendor rules that the by_meaning rules now
replace: at start-up those still as shipped are retired (disabled, labelled, kept), one a person
edited is left alone, and a fresh database never gets them."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from eams.alerts.clock import ManualClock
from eams.alerts.engine import AlertEngine, EngineOptions, rule_row
from eams.alerts.models import AlertRule
from eams.alerts.retired_rules import RETIRED_RULES, load_retired
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.alerts.rules.spec import RuleSpec
from eams.services import Services

SHIPPED = {item["name"]: item["shipped"] for item in yaml.safe_load(RETIRED_RULES.read_text())["retired"]}


def shipped(name: str, version: int = -1) -> RuleSpec:
    return RuleSpec.model_validate({"name": name, **SHIPPED[name][version]})


def start(services: Services, *paths: Path) -> AlertEngine:
    engine = AlertEngine(
        services.db, services.secret_box, clock=ManualClock(), options=EngineOptions(rule_paths=paths)
    )
    engine.open()
    return engine


def rules(services: Services) -> dict[str, AlertRule]:
    with services.db.session() as session:
        found = {row.name: row for row in session.scalars(select(AlertRule))}
        session.expunge_all()
    return found


def test_every_retired_rule_is_covered_by_a_shipped_template() -> None:
    templates = {item["name"] for item in yaml.safe_load(DEFAULT_RULES.read_text())["by_meaning"]}
    retired = load_retired()
    assert retired
    for rule in retired.values():
        assert set(rule.replaced_by) <= templates, rule.name


async def test_an_earlier_releases_rules_are_retired_unless_a_person_edited_them(services: Services) -> None:
    edited = shipped("memory-high-fortigate").model_copy(update={"value": 95.0})
    with services.db.session() as session:
        session.add(rule_row(shipped("cpu-high-cisco"), origin="file"))
        session.add(rule_row(shipped("disk-full", 0), origin="file"))  # the oldest release's version
        session.add(rule_row(edited, origin="file"))
        session.add(rule_row(shipped("ups-battery-low"), origin="api"))  # a person's own rule

    engine = start(services, DEFAULT_RULES)
    await engine.stop()

    after = rules(services)
    for name in ("cpu-high-cisco", "disk-full"):
        assert not after[name].enabled and after[name].spec["enabled"] is False, name
        assert after[name].spec["labels"]["retired"].startswith("by_meaning "), name
    assert after["memory-high-fortigate"].enabled and after["memory-high-fortigate"].spec["value"] == 95
    own = after["ups-battery-low"]
    assert own.enabled and "retired" not in own.spec.get("labels", {})
    assert after["cpu-high-cisco-cpu"].enabled  # what replaces it


async def test_a_retired_rule_enabled_again_by_a_person_stays_enabled(services: Services) -> None:
    with services.db.session() as session:
        session.add(rule_row(shipped("cpu-high-juniper"), origin="file"))
    await start(services, DEFAULT_RULES).stop()
    with services.db.session() as session:
        row = session.scalars(select(AlertRule).where(AlertRule.name == "cpu-high-juniper")).one()
        row.spec = {**row.spec, "enabled": True}
        row.enabled = True
    await start(services, DEFAULT_RULES).stop()
    assert rules(services)["cpu-high-juniper"].enabled


async def test_a_fresh_database_never_gets_the_retired_rules(services: Services) -> None:
    await start(services, DEFAULT_RULES).stop()
    assert not set(load_retired()) & set(rules(services))


async def test_a_rule_file_that_still_declares_a_retired_name_keeps_it(
    services: Services, tmp_path: Path
) -> None:
    own = tmp_path / "own.yaml"
    body = {"name": "cpu-high-fortigate", **SHIPPED["cpu-high-fortigate"][-1]}
    own.write_text(yaml.safe_dump({"rules": [body]}, allow_unicode=True), encoding="utf-8")
    await start(services, DEFAULT_RULES, own).stop()
    assert rules(services)["cpu-high-fortigate"].enabled
