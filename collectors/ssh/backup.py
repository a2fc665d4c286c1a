"""Configuration history: a new version only when the cleaned configuration's hash changes,
unified diffs between versions, and the backup health that says when a device keeps failing."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.ssh.models import ConfigBackupState, ConfigVersion
from collectors.ssh.redaction import CleanConfig
from inventory.models.base import utcnow


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: int
    changed: bool  # False: same hash as the latest version, nothing new stored
    previous: int | None
    diff: str  # unified diff from the previous version ("" when unchanged or first)


def latest_version(session: Session, device_id: int) -> ConfigVersion | None:
    return session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device_id)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )


def unified_diff(old: ConfigVersion | None, new: ConfigVersion, device_name: str) -> str:
    before = old.text.splitlines() if old else []
    lines = difflib.unified_diff(
        before,
        new.text.splitlines(),
        fromfile=f"{device_name} v{old.version}" if old else "/dev/null",
        tofile=f"{device_name} v{new.version}",
        lineterm="",
    )
    return "\n".join(lines) + "\n"


def store_config(
    session: Session, device_id: int, device_name: str, clean: CleanConfig, command: str, platform: str
) -> StoredVersion:
    now = utcnow()
    latest = latest_version(session, device_id)
    if latest is not None and latest.sha256 == clean.sha256:
        latest.last_confirmed_at = now
        return StoredVersion(latest.version, False, latest.version, "")
    number = (latest.version + 1) if latest else 1
    version = ConfigVersion(
        device_id=device_id,
        version=number,
        sha256=clean.sha256,
        collected_at=now,
        last_confirmed_at=now,
        command=command,
        platform=platform,
        redacted_secrets=clean.redacted,
        lines=clean.text.count("\n"),
        text=clean.text,
    )
    session.add(version)
    session.flush()
    diff = unified_diff(latest, version, device_name) if latest else ""
    return StoredVersion(number, True, latest.version if latest else None, diff)


def _state(session: Session, device_id: int) -> ConfigBackupState:
    state = session.get(ConfigBackupState, device_id)
    if state is None:
        state = ConfigBackupState(device_id=device_id, consecutive_failures=0)
        session.add(state)
    return state


def record_success(session: Session, device_id: int) -> None:
    state = _state(session, device_id)
    now = utcnow()
    state.last_attempt_at = now
    state.last_success_at = now
    state.failing_since = None
    state.consecutive_failures = 0
    state.last_error = None
    state.alerted_at = None


def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; every time we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=utcnow().tzinfo)


def record_failure(session: Session, device_id: int, error: str, alert_after: timedelta) -> datetime | None:
    """Notes the failure; returns the time of the last success (or of the first failure) when the
    device has now gone `alert_after` without a successful backup and was not yet alerted."""
    state = _state(session, device_id)
    now = utcnow()
    state.last_attempt_at = now
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error = error[:2000]
    if state.failing_since is None:
        state.failing_since = now
    since = _aware(state.last_success_at) or _aware(state.failing_since) or now
    if now - since >= alert_after and state.alerted_at is None:
        state.alerted_at = now
        return since
    return None


def version_count(session: Session, device_id: int) -> int:
    return int(session.scalar(select(func.count()).where(ConfigVersion.device_id == device_id)) or 0)
