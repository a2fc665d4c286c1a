"""Builds the InfluxDB sink from settings and plugs it into the service's sample pipeline.

Registered in `eams.components.COMPONENT_FACTORIES`: it starts and stops with the service (stop
flushes everything in memory to InfluxDB or the spool) and is reachable as
`services.extras["influx_sink"]` for the status endpoint.
"""

from __future__ import annotations

import logging

from collectors.sinks.influx import InfluxTarget, InfluxWriter, SpoolingInfluxSink
from collectors.sinks.spool import Spool, SpoolError
from eams.services import Services
from eams.settings import Settings

log = logging.getLogger(__name__)

EXTRAS_KEY = "influx_sink"


def influx_target(settings: Settings) -> InfluxTarget | None:
    """The InfluxDB to write to, or None when `EAMS_INFLUX_URL` is unset (spool only)."""
    if not settings.influx_url:
        return None
    token = settings.influx_token.get_secret_value() if settings.influx_token else ""
    return InfluxTarget(
        url=settings.influx_url,
        token=token,
        org=settings.influx_org,
        bucket=settings.influx_bucket,
        timeout=settings.influx_timeout,
    )


def build_influx_sink(settings: Settings) -> SpoolingInfluxSink:
    spool = Spool(settings.spool_dir / "influx", max_bytes=settings.spool_max_bytes)
    target = influx_target(settings)
    return SpoolingInfluxSink(spool, InfluxWriter(target) if target else None)


def influx_sink_component(services: Services) -> SpoolingInfluxSink | None:
    try:
        sink = build_influx_sink(services.settings)
    except SpoolError as error:
        log.error("metrics are not recorded: %s", error)
        return None
    services.pipeline.add_sample_consumer(sink)
    services.extras[EXTRAS_KEY] = sink
    return sink
