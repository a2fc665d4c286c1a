"""Discovered facts at the API boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inventory.models import FactKind, FactSource, FactState, MatchReason
from inventory.schemas.common import Input, Output, text


class DiscoveredFactRead(Output):
    id: int
    source: FactSource
    kind: FactKind
    device_id: int | None
    match_reason: MatchReason
    address: str | None
    field: str
    observed_value: str | None
    current_value: str | None
    data: dict[str, Any]
    dependency_id: int | None
    state: FactState
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    reviewer: str | None
    reviewed_at: datetime | None
    review_note: str | None


class ReviewBody(Input):
    note: text(2000) | None = None  # type: ignore[valid-type]
