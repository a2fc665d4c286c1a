"""Rules filed by (measurement, scope key), so a sample meets only the rules that can match it."""

from __future__ import annotations

from collections import defaultdict

from collectors.samples import Event
from eams.alerts.directory import DeviceInfo
from eams.alerts.rules.compiled import CompiledRule, event_matches

SAMPLE_KINDS = ("threshold", "unreachable", "oper_down", "stale")


class RuleIndex:
    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules = [rule for rule in rules if rule.spec.enabled]
        self._by_measurement: dict[str, dict[str, list[CompiledRule]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.event_rules: list[CompiledRule] = []
        self.tick_rules: list[CompiledRule] = []
        for rule in self.rules:
            if rule.kind in SAMPLE_KINDS:
                measurement = rule.spec.measurement or ""
                for key in rule.index_keys():
                    self._by_measurement[measurement][key].append(rule)
            if rule.kind in ("event", "absence"):
                self.event_rules.append(rule)
            if rule.kind in ("stale", "absence", "inventory", "event"):
                self.tick_rules.append(rule)
        self.measurements = frozenset(self._by_measurement)

    def for_sample(self, measurement: str, device: DeviceInfo) -> list[CompiledRule]:
        filed = self._by_measurement.get(measurement)
        if filed is None:
            return []
        found: list[CompiledRule] = []
        tag_hits = 0
        for key in device.scope_keys():
            rules = filed.get(key)
            if rules:
                found.extend(rules)
                tag_hits += key.startswith("tag:")
        if tag_hits > 1:  # a device with two tags a rule names would meet that rule twice
            found = list(dict.fromkeys(found))
        return [rule for rule in found if rule.in_scope(device)]

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
