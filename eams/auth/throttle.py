"""Brute-force throttling of sign-ins, per username and per address.

From the second failure of a username on, the next attempt must wait longer each time
(delay_base_s doubling up to delay_max_s); `max_failures` (per username) or
`address_max_failures` (per address) within the window lock the key for `lockout_minutes`,
after which it is released by itself (or by an admin: `eams user unlock`). Early attempts are
refused without checking the password, so a locked account costs no Argon2 work and tells
nothing about the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eams.auth.config import AuthConfig
from eams.auth.models import LoginThrottle


def username_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str | None) -> str | None:
    return f"addr:{address}" if address else None


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before the password is checked."""

    locked: bool  # True: locked out; False: too early after the last failure (growing delay)
    retry_after_s: float


@dataclass(frozen=True)
class FailureCount:
    username_failures: int
    address_failures: int
    locked: bool  # this failure started a lockout


def _limit(config: AuthConfig, key: str) -> int:
    return config.max_failures if key.startswith("user:") else config.address_max_failures


def _delay(config: AuthConfig, key: str, failures: int) -> float:
    """The wait after `failures` failures of a username: none after one typo, then delay_base_s
    doubling. Addresses only count towards their lockout: an office behind one NAT address must
    not wait for each other's typos."""
    if failures < 2 or config.delay_base_s == 0 or not key.startswith("user:"):
        return 0.0
    return float(min(config.delay_base_s * 2 ** min(failures - 2, 30), config.delay_max_s))


def _current(row: LoginThrottle, config: AuthConfig, now: datetime) -> bool:
    """False when the row belongs to a past window (or an ended lockout) and counts no more."""
    if row.locked_until is not None:
        return now < row.locked_until
    return now - row.first_failure_at < timedelta(minutes=config.failure_window_minutes)


def check(session: Session, config: AuthConfig, keys: list[str], now: datetime) -> Refusal | None:
    """A Refusal when any key is locked or still inside its delay, else None."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    refusal: Refusal | None = None
    for row in rows:
        if not _current(row, config, now):
            continue
        if row.locked_until is not None:
            wait = (row.locked_until - now).total_seconds()
            locked = True
        else:
            wait = (
                row.last_failure_at + timedelta(seconds=_delay(config, row.key, row.failures)) - now
            ).total_seconds()
            locked = False
        if wait > 0 and (refusal is None or locked > refusal.locked or wait > refusal.retry_after_s):
            refusal = Refusal(locked=locked, retry_after_s=round(wait, 1))
    return refusal


def record_failure(session: Session, config: AuthConfig, keys: list[str], now: datetime) -> FailureCount:
    counts: dict[str, int] = {}
    started_lockout = False
    for key in keys:
        row = _row(session, key, now)
        if not _current(row, config, now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= _limit(config, key) and row.locked_until is None:
            row.locked_until = now + timedelta(minutes=config.lockout_minutes)
            started_lockout = True
        counts[key.split(":", 1)[0]] = row.failures
    session.flush()
    return FailureCount(counts.get("user", 0), counts.get("addr", 0), started_lockout)


def _row(session: Session, key: str, now: datetime) -> LoginThrottle:
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is not None:
        return row
    try:
        with session.begin_nested():  # two first failures at once: the second one reads the first
            row = LoginThrottle(key=key, failures=0, first_failure_at=now, last_failure_at=now)
            session.add(row)
        return row
    except IntegrityError:
        found = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
        assert found is not None
        return found


def release(session: Session, keys: list[str]) -> int:
    """Forget the failures of these keys (a successful sign-in, or an admin's unlock)."""
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(session: Session, config: AuthConfig, now: datetime) -> int:
    """Drop rows of windows and lockouts long over (they count for nothing any more)."""
    horizon = now - timedelta(minutes=max(config.failure_window_minutes, config.lockout_minutes) * 2)
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < horizon))
    return int(getattr(result, "rowcount", 0) or 0)
