"""Settings of the metrics read path: the embedded store (retention, disk bound) and the queries
(which backend answers, how many points one answer may hold). Section `metrics` of the service's
settings: environment variables `EAMS_METRICS_<FIELD>` (durations such as `48h`, `30d`, `90s`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: object) -> float:
    """Seconds from `90`, `90s`, `15m`, `48h`, `30d`, `1w` (a number alone is seconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration such as 90s, 15m, 48h or 30d")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


Duration = Annotated[float, BeforeValidator(parse_duration)]


class MetricsConfig(BaseModel):
    """`EAMS_METRICS_*`. Defaults keep a district server room's history on its own disk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Literal["auto", "on", "off"] = Field(
        "auto", description="the embedded store: auto = on when no InfluxDB is configured"
    )
    engine: Literal["auto", "store", "influx"] = Field(
        "auto",
        description="who answers queries: auto = the store for the hours it holds, else InfluxDB",
    )
    raw_retention: Duration = Field(48 * 3600.0, ge=3600, description="raw points are kept this long")
    rollup_5m_retention: Duration = Field(30 * 86400.0, ge=86400, description="5-minute rollups")
    rollup_1h_retention: Duration = Field(365 * 86400.0, ge=86400, description="hourly rollups")
    max_bytes: int = Field(
        20 << 30, ge=64 << 20, description="bound of the store on disk; past it the oldest is dropped"
    )
    top_window_max: Duration = Field(
        3600.0, ge=300, le=86400, description="longest window /metrics/top ranks over"
    )
    max_points: int = Field(200_000, ge=1000, description="points (series x steps) one answer may hold")
    max_steps: int = Field(5000, ge=10, description="steps of one series in one answer")
    max_series: int = Field(1000, ge=1, description="series one answer may hold")
    max_devices: int = Field(10_000, ge=1, description="devices one /metrics/latest or /top may read")
    flush_interval: Duration = Field(1.0, gt=0, le=10, description="at most this much is lost to a crash")

    @model_validator(mode="after")
    def _retentions_nest(self) -> MetricsConfig:
        if self.rollup_5m_retention < self.raw_retention:
            raise ValueError("rollup_5m_retention must be at least raw_retention")
        if self.rollup_1h_retention < self.rollup_5m_retention:
            raise ValueError("rollup_1h_retention must be at least rollup_5m_retention")
        return self
