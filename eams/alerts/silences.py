"""Silences and maintenance windows: they mute notifications of matching alerts, never recording.

A one-off silence runs from `starts_at` to `ends_at`. A recurring maintenance window repeats on
weekdays at a local time for a duration (`{"weekdays": [5], "start": "22:00", "duration": "4h",
"timezone": "Asia/Ho_Chi_Minh"}`) between `starts_at` and the optional `ends_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from eams.alerts.clock import aware
from eams.alerts.matchers import Matcher, all_match
from eams.alerts.rules.spec import Duration


class Recurrence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekdays: list[int] = Field(default_factory=lambda: list(range(7)), description="0 = Monday")
    start: str = Field(description="Local start time HH:MM")
    duration: Duration
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("weekdays")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if not days or any(d < 0 or d > 6 for d in days):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), at least one")
        return days

    @field_validator("start")
    @classmethod
    def _start(cls, text: str) -> str:
        try:
            time.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a time of day (HH:MM)") from None
        return text

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except Exception:
            raise ValueError(f"{name!r} is not a known time zone") from None
        return name

    def covers(self, when: datetime) -> bool:
        zone = ZoneInfo(self.timezone)
        local = when.astimezone(zone)
        start = time.fromisoformat(self.start)
        # A window that started yesterday evening may still be open this morning.
        for days_back in (0, 1, 2, 3, 4, 5, 6, 7):
            day = (local - timedelta(days=days_back)).date()
            if day.weekday() not in self.weekdays:
                continue
            opened = datetime.combine(day, start, tzinfo=zone)
            if opened <= local < opened + timedelta(seconds=self.duration):
                return True
            if opened + timedelta(seconds=self.duration) < local - timedelta(days=7):
                break
        return False


@dataclass(frozen=True)
class ActiveSilence:
    id: int
    kind: Literal["silence", "maintenance"] | str
    matchers: list[Matcher]
    starts_at: datetime
    ends_at: datetime | None
    recurrence: Recurrence | None

    def in_force(self, when: datetime) -> bool:
        if when < aware(self.starts_at) or (self.ends_at is not None and when >= aware(self.ends_at)):
            return False
        return self.recurrence is None or self.recurrence.covers(when)

    def mutes(self, labels: Mapping[str, Any], when: datetime) -> bool:
        return self.in_force(when) and all_match(self.matchers, labels)


class SilenceBook:
    """The silences the engine applies; reloaded from the database when they change."""

    def __init__(self) -> None:
        self.silences: list[ActiveSilence] = []

    def load(self, rows: list[Any]) -> None:
        self.silences = [
            ActiveSilence(
                id=row.id,
                kind=row.kind,
                matchers=[Matcher.model_validate(m) for m in row.matchers],
                starts_at=aware(row.starts_at),
                ends_at=aware(row.ends_at) if row.ends_at else None,
                recurrence=Recurrence.model_validate(row.recurrence) if row.recurrence else None,
            )
            for row in rows
        ]

    def muting(self, labels: Mapping[str, Any], when: datetime) -> ActiveSilence | None:
        for silence in self.silences:
            if silence.mutes(labels, when):
                return silence
        return None
