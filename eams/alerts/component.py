"""The alert engine as a service component: built from the Services, fed by the pipeline."""

from __future__ import annotations

import os
from pathlib import Path

from eams.alerts.engine import AlertEngine, EngineOptions
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.services import Services

RULE_PATHS_ENV = "EAMS_ALERT_RULE_PATHS"  # extra rule files or folders, separated by ':'


def alert_engine_factory(services: Services) -> AlertEngine:
    extra = [Path(p) for p in os.environ.get(RULE_PATHS_ENV, "").split(":") if p]
    engine = AlertEngine(
        services.db, services.secret_box, options=EngineOptions(rule_paths=(DEFAULT_RULES, *extra))
    )
    services.pipeline.add_sample_consumer(engine)
    services.pipeline.add_event_consumer(engine)
    services.extras["alerts"] = engine
    return engine
