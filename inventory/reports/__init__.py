"""Planners' reports on the inventory and architecture. Each returns a `Report` of named tables,
which the API renders as JSON, CSV or XLSX."""

from inventory.reports.table import Report, ReportTable

__all__ = ["Report", "ReportTable"]
