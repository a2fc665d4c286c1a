"""API bodies for alerts, rules, silences, routing and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from eams.alerts.matchers import Matcher
from eams.alerts.rules.spec import RuleSpec
from eams.alerts.silences import Recurrence
from inventory.models.base import utcnow
from inventory.schemas.common import Boundary


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fingerprint: str
    rule_name: str
    rule_kind: str
    category: str
    severity: str
    device_id: int | None
    entity: str
    labels: dict[str, Any]
    state: str
    value: float | None
    summary: str
    summary_vi: str
    started_at: datetime
    firing_at: datetime | None
    resolved_at: datetime | None
    acked_by: str | None
    ack_comment: str | None
    acked_at: datetime | None
    silenced: bool
    suppressed: bool
    suppressed_by: str | None
    flapping: bool
    escalation_level: int


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    action: str
    actor: str
    detail: str


class AlertDetail(AlertRead):
    history: list[HistoryRead]


class AckBody(Boundary):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(min_length=1, max_length=2000)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    category: str
    severity: str
    enabled: bool
    origin: str
    spec: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# PATCH takes any subset of a rule's fields; the merged rule is validated as a whole.
class _RuleChanges(Boundary):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


RuleUpdate: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "RuleUpdate",
    __base__=_RuleChanges,
    **{
        name: (Optional[info.annotation], Field(default=None, alias=info.alias))  # noqa: UP045
        for name, info in RuleSpec.model_fields.items()
    },
)


class SilenceCreate(Boundary):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["silence", "maintenance"] = "silence"
    matchers: list[Matcher] = Field(min_length=1, description="All must match: device, site, agency, tag ...")
    starts_at: datetime = Field(default_factory=utcnow)
    ends_at: datetime | None = None
    recurrence: Recurrence | None = None
    comment: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _window(self) -> SilenceCreate:
        if self.recurrence is None and self.ends_at is None:
            raise ValueError("ends_at is required unless the window recurs")
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SilenceUpdate(Boundary):
    model_config = ConfigDict(extra="forbid")

    matchers: list[Matcher] | None = Field(default=None, min_length=1)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    recurrence: Recurrence | None = None
    comment: str | None = Field(default=None, min_length=1, max_length=2000)


class SilenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    matchers: list[dict[str, Any]]
    starts_at: datetime
    ends_at: datetime | None
    recurrence: dict[str, Any] | None
    comment: str
    created_by: str
    created_at: datetime


class EventIn(Boundary):
    """An event from a remote collector (or a test): what `collectors.samples.Event` carries."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=300)
    severity: Literal["info", "warning", "critical"] = "warning"
    message: str = Field(default="", max_length=4000)
    source: str | None = Field(default=None, max_length=200, description="Default: the caller's address")
    device_id: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
