"""The shape every report has: a title, its parameters, a summary and one or more tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def cell(value: Any) -> Any:
    """A value as it appears in every export: ISO dates, plain numbers, enum values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(cell(item)) for item in value)
    return value


@dataclass
class ReportTable:
    name: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        self.rows.append([cell(value) for value in values])

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class Report:
    """`tables[0]` is the main table: the one a CSV export carries unless another is asked for."""

    title: str
    tables: list[ReportTable]
    parameters: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str | None) -> ReportTable:
        if name is None:
            return self.tables[0]
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "parameters": {key: cell(value) for key, value in self.parameters.items()},
            "summary": {key: cell(value) for key, value in self.summary.items()},
            "tables": {table.name: table.records() for table in self.tables},
        }
