"""The answers of the metrics API, as the web application draws them (uPlot takes columns)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["value", "rate", "utilisation"]
Backend = Literal["store", "influx"]
Resolution = Literal["raw", "5m", "1h"]


class SeriesOut(BaseModel):
    device: str
    device_id: int | None
    entity: dict[str, str] = Field(description="the entity tags (ifIndex, ifName ...); empty for scalars")
    field: str
    kind: Kind = Field(description="value as written, per-second rate of a counter, or % of its 100 % mark")
    unit: str
    time: list[int] = Field(description="start of each step, unix seconds")
    min: list[float | None]
    max: list[float | None]
    mean: list[float | None]
    last: list[float | None]
    count: list[int] = Field(description="points (rates) in each step")


class SeriesAnswer(BaseModel):
    measurement: str
    start: datetime
    end: datetime
    step_s: float = Field(description="may be longer than asked: rollups are 5-minute or hourly")
    resolution: Resolution
    backend: Backend
    series: list[SeriesOut]


class TopEntry(BaseModel):
    device: str
    device_id: int | None
    entity: dict[str, str]
    value: float = Field(description="mean over the window")
    samples: int


class TopAnswer(BaseModel):
    measurement: str
    field: str
    kind: Kind
    unit: str
    window_start: datetime = Field(description="the window starts on a 5-minute boundary")
    end: datetime
    backend: Backend
    entries: list[TopEntry]


class LatestValue(BaseModel):
    value: float | int | bool | str | None
    time: datetime | None
    kind: Kind | Literal["text", "raw"]
    unit: str


class LatestRow(BaseModel):
    device: str
    device_id: int | None
    measurement: str
    entity: dict[str, str]
    values: dict[str, LatestValue]


class LatestAnswer(BaseModel):
    backend: Backend
    rows: list[LatestRow]
