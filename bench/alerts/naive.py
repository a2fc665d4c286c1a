"""The floor to compare against: every sample checked against every rule, as a simple evaluator
(or a script looping over rules) would; it keeps no state and writes nothing."""

from __future__ import annotations

from collectors.samples import Sample
from eams.alerts.directory import DeviceDirectory
from eams.alerts.rules.compiled import CompiledRule


def naive_evaluate(rules: list[CompiledRule], samples: list[Sample], directory: DeviceDirectory) -> int:
    breaches = 0
    for sample in samples:
        device = directory.get(sample.device_id)
        for rule in rules:
            if rule.spec.measurement != sample.measurement or not rule.in_scope(device):
                continue
            value = rule.sample_value(sample)
            if value is not None and rule.compare(value, rule.threshold):
                breaches += 1
    return breaches
