"""How the service reads metrics back: the query service built from the settings (the embedded
store, InfluxDB, or both).

The store's sink itself is a component (eams/components/metrics.py) that registers under
`STORE_KEY`; the query service is rebuilt when it starts or stops.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from collectors.schema import Schema, build_schema
from collectors.sinks.store.database import StoreFileError
from collectors.sinks.store.reader import StoreReader
from collectors.sinks.store.sink import STORE_FILE, MetricStoreSink
from eams.metrics.backends.influx import InfluxBackend
from eams.metrics.backends.store import StoreBackend
from eams.metrics.service import MetricsService
from eams.services import Services
from eams.settings import Settings

log = logging.getLogger(__name__)

STORE_KEY = "metric_store"
SERVICE_KEY = "metrics_service"


@lru_cache(maxsize=1)
def measurement_schema() -> Schema:
    """The schema of everything the collectors write (the profiles are read once per process)."""
    return build_schema()


def influx_backend(settings: Settings) -> InfluxBackend | None:
    if not settings.influx.url:
        return None
    token = settings.influx.token.get_secret_value() if settings.influx.token else ""
    return InfluxBackend(
        settings.influx.url,
        token=token,
        bucket=settings.influx.bucket,
        schema=measurement_schema(),
        timeout=max(settings.influx.timeout, 30.0),
    )


def build_service(settings: Settings, sink: MetricStoreSink | None = None) -> MetricsService:
    """The query service: over the running store (it sees the last second) or the store's file
    read from outside (the CLI), and InfluxDB when configured."""
    store: StoreBackend | None = None
    path = settings.metrics_dir / STORE_FILE
    if sink is not None:
        store = StoreBackend(sink.reader(), settings.metrics.raw_retention)
    elif path.exists():
        try:
            store = StoreBackend(StoreReader(path), settings.metrics.raw_retention)
        except StoreFileError as error:
            log.error("the metrics store cannot be read: %s", error)
    return MetricsService(
        measurement_schema(),
        settings.metrics,
        store=store,
        store_writing=sink is not None and sink.writer is not None,
        influx=influx_backend(settings),
    )


def metrics_service(services: Services) -> MetricsService:
    """The service's query service, built once and again when the store starts or stops."""
    sink = services.extras.get(STORE_KEY)
    running = isinstance(sink, MetricStoreSink) and sink.writer is not None
    found = services.extras.get(SERVICE_KEY)
    if isinstance(found, MetricsService) and found.store_writing == running:
        return found
    service = build_service(
        services.settings, sink if isinstance(sink, MetricStoreSink) and running else None
    )
    services.extras[SERVICE_KEY] = service
    return service
