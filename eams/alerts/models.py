"""The alerting tables: rules, alert occurrences and their history, silences, routing config and
the notification outbox.

An `Alert` row is one occurrence of one instance: the instance is (rule, entity), named by a stable
`fingerprint`; when it fires again after resolving, a new row with the same fingerprint starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow

# The words these text columns hold; list filters refuse any other (`?state=burning` is a 400).
SEVERITIES = ("info", "warning", "critical")
CATEGORIES = ("operational", "security")
ALERT_STATES = ("pending", "firing", "resolved")


def _choices(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"choices": words}


class AlertRule(Base):
    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(
        String(20), default="operational", index=True, info=_choices(CATEGORIES)
    )
    severity: Mapped[str] = mapped_column(String(20), default="warning", info=_choices(SEVERITIES))
    enabled: Mapped[bool] = mapped_column(default=True)
    # The whole rule as data (see eams/alerts/rules/spec.py); the columns above are copies for filters.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(20), default="api", doc="file (shipped YAML) or api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_fingerprint_state", "fingerprint", "state"),
        Index("ix_alert_state_category", "state", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    rule_name: Mapped[str] = mapped_column(String(200), index=True)
    rule_kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(20), info=_choices(CATEGORIES))
    severity: Mapped[str] = mapped_column(String(20), info=_choices(SEVERITIES))
    device_id: Mapped[int | None] = mapped_column(index=True)
    entity: Mapped[str] = mapped_column(String(300), default="", doc="ifName=Gi0/1, path=/ ...")
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), doc="firing or resolved", info=_choices(ALERT_STATES))
    value: Mapped[float | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_vi: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime]
    firing_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(200))
    ack_comment: Mapped[str | None] = mapped_column(String(2000))
    acked_at: Mapped[datetime | None]
    silenced: Mapped[bool] = mapped_column(default=False)
    suppressed: Mapped[bool] = mapped_column(default=False)
    suppressed_by: Mapped[str | None] = mapped_column(String(300))
    flapping: Mapped[bool] = mapped_column(default=False)
    escalation_level: Mapped[int] = mapped_column(default=0)
    # The state whose notification is in the outbox (firing, resolved once nothing more is owed);
    # empty while a FIRING still waits out its group wait. Written in the transaction that
    # queues the notification, so a restart knows what is still owed.
    notified: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return f"{self.rule_name} {self.entity}".strip()


class AlertHistory(Base):
    """Every transition, acknowledgement, silence and notification of an alert, in order."""

    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(30), doc="firing, resolved, acknowledged, notified ...")
    actor: Mapped[str] = mapped_column(String(200), default="engine")
    detail: Mapped[str] = mapped_column(String(2000), default="")


class Silence(Base):
    """Mutes notifications (never recording) of alerts whose labels match, once or on a schedule."""

    __tablename__ = "silence"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="silence", doc="silence or maintenance")
    matchers: Mapped[list[Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # Recurring maintenance windows: {"weekdays": [5, 6], "start": "22:00", "duration": "4h", ...}
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class AlertRouting(Base):
    """The receivers and the routing tree, one document (like alertmanager.yml) with a version."""

    __tablename__ = "alert_routing"

    id: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Receiver secrets (SMTP passwords, webhook keys) sealed with the service's secret box.
    secrets_encrypted: Mapped[bytes | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class OutboxMessage(Base):
    """A notification waiting for (or done with) delivery. Written in the same transaction as the
    alert change that caused it, so a crash never loses one; `(receiver, dedup_key)` is unique, so
    queueing the same notification twice stores it once."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        UniqueConstraint("receiver", "dedup_key"),
        Index("ix_alert_outbox_due", "status", "next_attempt_at"),
        Index("ix_alert_outbox_order", "receiver", "order_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receiver: Mapped[str] = mapped_column(String(100))
    dedup_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(20), default="pending", doc="pending, delivered, or failed (refused for good)"
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    # Rows with the same receiver and key go out in id order (one aggregation group).
    order_key: Mapped[str | None] = mapped_column(String(64))
