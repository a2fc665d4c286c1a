"""Recording alerts in the database: every occurrence, every transition and action, in order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.alerts.models import Alert, AlertHistory


def note(
    session: Session, alert_id: int, action: str, now: datetime, actor: str = "engine", detail: str = ""
) -> None:
    session.add(AlertHistory(alert_id=alert_id, at=now, action=action, actor=actor, detail=detail[:2000]))


def active_alerts(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.state == "firing").order_by(Alert.id)))


def resolutions_owed(session: Session) -> list[Alert]:
    """Resolved alerts whose FIRING was notified but whose RESOLVED was not queued yet (the
    service stopped inside their group's wait)."""
    return list(
        session.scalars(
            select(Alert).where(Alert.state == "resolved", Alert.notified == "firing").order_by(Alert.id)
        )
    )
