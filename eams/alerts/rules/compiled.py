"""A rule ready for the hot path: its spec turned into plain attributes and a comparison."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from collectors.samples import Event, Sample
from collectors.schema import percent
from eams.alerts.directory import DeviceInfo
from eams.alerts.rules.spec import EventMatch, RuleSpec

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def event_matches(match: EventMatch, event: Event) -> bool:
    if event.kind != match.kind:
        return False
    if match.severity and event.severity.value not in match.severity:
        return False
    if match.name is not None and not fnmatchcase(event.name, match.name):
        return False
    if any(fnmatchcase(event.name, pattern) for pattern in match.exclude_names):
        return False
    for key, wanted in match.labels.items():
        if str(event.labels.get(key)) != wanted:
            return False
    return all(str(event.data.get(key)) == wanted for key, wanted in match.data.items())


@dataclass(eq=False)
class CompiledRule:
    spec: RuleSpec
    rule_id: int | None = None

    def __post_init__(self) -> None:
        spec = self.spec
        self.name = spec.name
        self.kind = spec.kind
        self.field = spec.field or ""
        self.from_rates = spec.source == "rate"
        self.compare = COMPARE[spec.op]
        self.threshold = spec.value if spec.value is not None else 0.0
        self.rising = spec.op in (">", ">=")
        self.clear = spec.clear
        self.entity = tuple(spec.entity)
        self.for_seconds = spec.for_
        self.down_values = frozenset(spec.down_values)
        scope = spec.scope
        self._roles = frozenset(scope.roles)
        self._agencies = frozenset(scope.agency_ids)
        self._sites = frozenset(scope.site_ids)
        self._tags = frozenset(scope.tags)
        self._devices = frozenset(scope.device_ids)
        # Filed under one scope dimension; only a rule naming several needs the full check.
        dimensions = sum(
            bool(d) for d in (self._roles, self._agencies, self._sites, self._tags, self._devices)
        )
        self.needs_scope_check = dimensions > 1 or len(self._tags) > 1

    # -- scope ------------------------------------------------------------------------------
    def index_keys(self) -> list[str]:
        """The most selective scope dimension; the index files the rule under each of its values."""
        scope = self.spec.scope
        if scope.device_ids:
            return [f"device:{i}" for i in scope.device_ids]
        if scope.site_ids:
            return [f"site:{i}" for i in scope.site_ids]
        if scope.agency_ids:
            return [f"agency:{i}" for i in scope.agency_ids]
        if scope.roles:
            return [f"role:{r}" for r in scope.roles]
        if len(scope.tags) == 1:
            return [f"tag:{scope.tags[0]}"]
        return ["*"]  # everything, or several tags (a device with two of them must meet it once)

    def in_scope(self, device: DeviceInfo) -> bool:
        if self._devices and device.id not in self._devices:
            return False
        if self._sites and device.site_id not in self._sites:
            return False
        if self._agencies and device.agency_id not in self._agencies:
            return False
        if self._roles and device.role not in self._roles:
            return False
        return not (self._tags and not (self._tags & device.tags))

    # -- values -----------------------------------------------------------------------------
    def entity_of(self, tags: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(str(tags.get(name, "")) for name in self.entity)

    def sample_value(self, sample: Sample) -> float | None:
        raw = sample.rates.get(self.field) if self.from_rates else sample.fields.get(self.field)
        if raw is None or isinstance(raw, str | bool):
            return None
        value = raw * self.spec.scale
        if self.spec.percent_of:
            base = sample.fields.get(self.spec.percent_of)
            if not isinstance(base, int | float) or isinstance(base, bool):
                return None
            share = percent(value, base * self.spec.percent_of_scale)
            if share is None:
                return None
            value = share
        return float(value)

    def breached(self, value: float, active: bool) -> bool:
        """Whether the condition holds; once active it holds until the clear threshold is passed."""
        if not active or self.clear is None:
            return self.compare(value, self.threshold)
        return value > self.clear if self.rising else value < self.clear
