"""Rules filed by (measurement, scope key), so a sample meets only the rules that can match it;
threshold rules reading the same value are grouped (see groups.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable

from collectors.samples import Event
from eams.alerts.directory import DeviceInfo
from eams.alerts.rules.compiled import CompiledRule, event_matches
from eams.alerts.rules.groups import ThresholdGroup, group_signature

SAMPLE_KINDS = ("threshold", "unreachable", "oper_down", "stale")

Evaluator = CompiledRule | ThresholdGroup


class RuleIndex:
    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules = [rule for rule in rules if rule.spec.enabled]
        filed: dict[str, dict[str, list[CompiledRule]]] = defaultdict(lambda: defaultdict(list))
        self.event_rules: list[CompiledRule] = []
        self.tick_rules: list[CompiledRule] = []
        for rule in self.rules:
            if rule.kind in SAMPLE_KINDS:
                for key in rule.index_keys():
                    filed[rule.spec.measurement or ""][key].append(rule)
            if rule.kind in ("event", "absence"):
                self.event_rules.append(rule)
            if rule.kind in ("stale", "absence", "inventory", "event"):
                self.tick_rules.append(rule)
        self.groups: list[ThresholdGroup] = []
        self.groups_of: dict[str, list[ThresholdGroup]] = defaultdict(list)
        self._by_measurement: dict[str, dict[str, list[Evaluator]]] = {}
        for measurement, by_key in filed.items():
            self._by_measurement[measurement] = {
                key: self._evaluators(rules) for key, rules in by_key.items()
            }
        self.measurements = frozenset(self._by_measurement)

    def _evaluators(self, rules: list[CompiledRule]) -> list[Evaluator]:
        evaluators: list[Evaluator] = []
        grouped: dict[Hashable, list[CompiledRule]] = {}
        for rule in rules:
            signature = group_signature(rule)
            if signature is None:
                evaluators.append(rule)
            else:
                grouped.setdefault(signature, []).append(rule)
        for members in grouped.values():
            group = ThresholdGroup(members)
            self.groups.append(group)
            for rule in members:
                self.groups_of[rule.name].append(group)
            evaluators.append(group)
        return evaluators

    def for_sample(self, measurement: str, device: DeviceInfo) -> list[Evaluator]:
        filed = self._by_measurement.get(measurement)
        if filed is None:
            return []
        found: list[Evaluator] = []
        for key in device.scope_keys:
            evaluators = filed.get(key)
            if evaluators:
                found.extend(evaluators)
        return found

    def for_event(self, event: Event, device: DeviceInfo) -> list[tuple[CompiledRule, bool]]:
        """(rule, resolves) for every rule the event fires or resolves."""
        hits: list[tuple[CompiledRule, bool]] = []
        for rule in self.event_rules:
            spec = rule.spec
            if not rule.in_scope(device):
                continue
            if spec.match is not None and event_matches(spec.match, event):
                hits.append((rule, rule.kind == "absence"))
            elif spec.resolve_match is not None and event_matches(spec.resolve_match, event):
                hits.append((rule, True))
        return hits
