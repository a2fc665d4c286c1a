"""The alert engine, fed by the pipeline: shipped rules plus the files of `alert.rule_paths`.

With the bus's partition leadership (PostgreSQL, `bus.enabled`, `bus.leadership`) several
instances may run: the engine joins the cluster, owning the devices of the partitions the bus
component hands it (eams/components/bus.py) and delivering the outbox only while it holds the
cluster's delivery lock."""

from __future__ import annotations

from eams.alerts.engine import AlertEngine, EngineOptions
from eams.alerts.ownership import PartitionOwnership
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.cluster.leadership import supports_leadership
from eams.cluster.singleton import AdvisoryLockSingletons, JobLock
from eams.services import Services


def alert_engine_component(services: Services) -> AlertEngine:
    rule_paths = (DEFAULT_RULES, *services.settings.alert.rule_paths)
    engine = AlertEngine(services.db, services.secret_box, options=EngineOptions(rule_paths=rule_paths))
    bus = services.settings.bus
    if bus.enabled and bus.leadership and supports_leadership(services.db.url):
        singletons = services.singletons  # the cluster component's, made first (eams/components/cluster.py)
        delivery = (
            JobLock(singletons, "alerts.delivery") if isinstance(singletons, AdvisoryLockSingletons) else None
        )
        engine.join_cluster(PartitionOwnership(bus.partitions), delivery)
    services.pipeline.add_sample_consumer(engine)
    services.pipeline.add_event_consumer(engine)
    services.extras["alerts"] = engine
    return engine
