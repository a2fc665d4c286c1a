"""The watch over remote collectors: silent ones raise an event the alert engine turns into an alert."""

from __future__ import annotations

from collectors.remote.watch import CollectorWatch
from eams.services import Services


def collector_watch_component(services: Services) -> CollectorWatch:
    return CollectorWatch(services.db, services.pipeline, services.settings.collector, services.singletons)
