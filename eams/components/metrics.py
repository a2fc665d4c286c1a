"""The embedded metrics store's sink plugged into the service's sample pipeline, beside the
InfluxDB sink (eams/components/sinks.py).

It runs when `EAMS_METRICS_STORE=on`, or `auto` with no InfluxDB configured, and is reachable as
`services.extras[STORE_KEY]` for the query service (eams/metrics/wiring.py) and `/sinks/store`.
"""

from __future__ import annotations

from collectors.sinks.store.sink import MetricStoreSink
from eams.metrics.wiring import SERVICE_KEY, STORE_KEY, measurement_schema
from eams.services import Services
from eams.settings import Settings


def store_enabled(settings: Settings) -> bool:
    mode = settings.metrics.store
    return mode == "on" or (mode == "auto" and not settings.influx.url)


def metric_store_component(services: Services) -> MetricStoreSink | None:
    if not store_enabled(services.settings):
        return None
    sink = MetricStoreSink(services.settings.metrics_dir, services.settings.metrics, measurement_schema())
    services.pipeline.add_sample_consumer(sink)
    services.extras[STORE_KEY] = sink
    services.extras.pop(SERVICE_KEY, None)  # rebuilt with the running store's reader
    return sink
