"""Alerts: rules evaluated as samples and events arrive, alert lifecycle, silences, dependency
suppression, routing and durable notifications. See README.md in this folder."""

from eams.alerts.engine import AlertEngine, EngineOptions

__all__ = ["AlertEngine", "EngineOptions"]
