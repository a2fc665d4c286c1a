"""The InfluxDB sink (with its durable spool) plugged into the service's sample pipeline.

It starts and stops with the service (stop flushes everything in memory to InfluxDB or the spool)
and is reachable as `services.extras["influx_sink"]` for the status endpoint.
"""

from __future__ import annotations

import logging

from collectors.sinks.config import build_influx_sink
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.sinks.spool import SpoolError
from eams.services import Services
from eams.settings import Settings

log = logging.getLogger(__name__)

EXTRAS_KEY = "influx_sink"


def service_influx_sink(settings: Settings) -> SpoolingInfluxSink:
    return build_influx_sink(settings.influx, settings.spool_dir, settings.spool_max_bytes)


def influx_sink_component(services: Services) -> SpoolingInfluxSink | None:
    try:
        sink = service_influx_sink(services.settings)
    except SpoolError as error:
        log.error("metrics are not recorded: %s", error)
        return None
    services.pipeline.add_sample_consumer(sink)
    services.extras[EXTRAS_KEY] = sink
    return sink
