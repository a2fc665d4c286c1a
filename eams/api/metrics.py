"""The service's own metrics, in a registry of the app's own (no process-wide globals): HTTP
requests and their latency, and gauges of what the inventory holds, read at each scrape."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from inventory.db import Database
from inventory.models import (
    Agency,
    ApiToken,
    CredentialsProfile,
    Device,
    DeviceType,
    Interface,
    IPAddress,
    Rack,
    Site,
)

log = logging.getLogger(__name__)

COUNTED_MODELS = (Agency, Site, Rack, DeviceType, Device, Interface, IPAddress, CredentialsProfile)


class InventoryGauges(Collector):
    """Counts of inventory objects, devices per lifecycle status and usable API tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> Iterator[Metric]:
        # Declared without reading the database, so that building the app never needs it.
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        objects, devices, tokens, up = self._families()
        try:
            with self.db.engine.connect() as connection:
                for model in COUNTED_MODELS:
                    count = connection.scalar(select(func.count()).select_from(model.__table__))
                    objects.add_metric([model.__tablename__], count or 0)
                by_status = connection.execute(select(Device.status, func.count()).group_by(Device.status))
                for status, count in by_status:
                    devices.add_metric([str(getattr(status, "value", status))], count)
                usable = select(func.count()).select_from(ApiToken).where(ApiToken.revoked.is_(False))
                tokens.add_metric([], connection.scalar(usable) or 0)
            up.add_metric([], 1)
        except SQLAlchemyError as exc:  # a scrape reports a sick database; it does not fail
            log.warning("inventory gauges unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        yield from (objects, devices, tokens, up)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("eams_inventory_objects", "Inventory objects stored, by type", labels=["type"]),
            GaugeMetricFamily("eams_devices", "Devices by lifecycle status", labels=["status"]),
            GaugeMetricFamily("eams_api_tokens_usable", "API tokens not revoked"),
            GaugeMetricFamily("eams_database_up", "1 when the inventory database answered this scrape"),
        )


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's full path template (`/api/v1/devices/{object_id}`), never the raw path.

    FastAPI >= 0.12x keeps included routers nested, so the matched route only knows its path
    relative to its router; the full template is in FastAPI's per-request route context.
    """
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    full = getattr(context, "path", None)
    if isinstance(full, str):
        return full
    return str(getattr(scope.get("route"), "path", "unmatched"))


class ServiceMetrics:
    def __init__(self, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "eams_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "eams_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        if db is not None:
            self.registry.register(InventoryGauges(db))

    def install(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            path = route_template(request.scope)
            self.requests.labels(request.method, path, str(response.status_code)).inc()
            self.latency.labels(request.method, path).observe(time.perf_counter() - started)
            return response
