"""The NATS JetStream bus feeding the service's pipeline (`bus.enabled`): what collectors publish
reaches the same sinks and alert engine as in-process samples (collectors/bus/README.md)."""

from __future__ import annotations

from collectors.bus.consumer import BusConsumer
from eams.services import Services

EXTRAS_KEY = "bus"


def bus_consumer_component(services: Services) -> BusConsumer | None:
    config = services.settings.bus
    if not config.enabled:
        return None
    consumer = BusConsumer(config, services.pipeline.publish_samples, services.pipeline.publish_event)
    services.extras[EXTRAS_KEY] = consumer
    return consumer
