"""The alert engine, fed by the pipeline: shipped rules plus the files of `alert.rule_paths`."""

from __future__ import annotations

from eams.alerts.engine import AlertEngine, EngineOptions
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.services import Services


def alert_engine_component(services: Services) -> AlertEngine:
    rule_paths = (DEFAULT_RULES, *services.settings.alert.rule_paths)
    engine = AlertEngine(services.db, services.secret_box, options=EngineOptions(rule_paths=rule_paths))
    services.pipeline.add_sample_consumer(engine)
    services.pipeline.add_event_consumer(engine)
    services.extras["alerts"] = engine
    return engine
