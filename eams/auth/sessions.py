"""Server-side sessions of signed-in people, and their CSRF tokens.

The cookie holds a random session id; the database keeps only its SHA-256 digest, so a copy of
the database opens no session. A session ends when revoked (sign-out, sign-out everywhere, an
admin disabling the user), after `session_idle_minutes` unused, or `session_absolute_hours` after
sign-in, whichever comes first; a disabled user's sessions stop at the next request.

CSRF: every state-changing request made with the session cookie must echo the session's CSRF token
(readable cookie `eams_csrf`) in the `X-CSRF-Token` header or a `csrf_token` form field. The token
is an HMAC of the session id under the service's key ("signed double submit"): it cannot be forged
without the key, nor planted by a sibling site that can set cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eams.auth.config import AuthConfig
from eams.auth.models import SessionStage, User, UserSession
from eams.auth.principal import Principal, Restriction
from inventory.hierarchy import agency_subtree
from inventory.models.base import utcnow

SESSION_COOKIE = "eams_session"
CSRF_COOKIE = "eams_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
MFA_CHALLENGE_MINUTES = 5
# Writing last_seen_at on every request would turn reads into writes; this is fine-grained enough
# for idle timeouts counted in minutes.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)


@dataclass(frozen=True)
class ClientInfo:
    """Who is at the other end, as recorded with sessions and in the audit log."""

    address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class OpenedSession:
    """A new session. `cookie_value` and `csrf_token` go to the browser, never to a log."""

    session_id: int
    user_id: int
    expires_at: datetime
    cookie_value: str = field(repr=False)
    csrf_token: str = field(repr=False)


@dataclass(frozen=True)
class ResolvedSession:
    """A valid session and the principal it signs in as."""

    session_id: int
    user_id: int
    username: str
    principal: Principal
    expires_at: datetime
    csrf_token: str = field(repr=False)


def digest(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


class SessionKeys:
    """The HMAC key for CSRF tokens, derived from the service's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._csrf_key = hmac.new(secret_key.encode(), b"eams csrf v1", hashlib.sha256).digest()

    def csrf_token(self, cookie_value: str) -> str:
        return hmac.new(self._csrf_key, cookie_value.encode(), hashlib.sha256).hexdigest()


def open_session(
    session: Session,
    keys: SessionKeys,
    config: AuthConfig,
    user: User,
    client: ClientInfo,
    *,
    stage: SessionStage = SessionStage.full,
) -> OpenedSession:
    """Store a new session for `user` and return the values the browser keeps."""
    now = utcnow()
    cookie_value = secrets.token_urlsafe(32)
    lifetime = (
        timedelta(minutes=MFA_CHALLENGE_MINUTES)
        if stage is SessionStage.mfa
        else timedelta(hours=config.session_absolute_hours)
    )
    row = UserSession(
        digest=digest(cookie_value),
        user_id=user.id,
        stage=stage,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        address=(client.address or None) and client.address[:64],
        user_agent=(client.user_agent or None) and client.user_agent[:255],
    )
    session.add(row)
    session.flush()
    return OpenedSession(row.id, user.id, row.expires_at, cookie_value, keys.csrf_token(cookie_value))


def _alive(row: UserSession, config: AuthConfig, now: datetime) -> bool:
    if row.revoked_at is not None or row.expires_at <= now:
        return False
    if row.stage is SessionStage.full:
        return now - row.last_seen_at < timedelta(minutes=config.session_idle_minutes)
    return True


def find_session(
    session: Session, config: AuthConfig, cookie_value: str, *, stage: SessionStage = SessionStage.full
) -> tuple[UserSession, User] | None:
    """The live session row behind a cookie value (or an MFA challenge), with its active user."""
    if not cookie_value or len(cookie_value) > 200:
        return None
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.digest == digest(cookie_value), UserSession.stage == stage)
    ).first()
    if found is None:
        return None
    row, user = found
    if not user.active or not _alive(row, config, utcnow()):
        return None
    return row, user


def restrictions_of(user: User, config: AuthConfig) -> frozenset[Restriction]:
    found: set[Restriction] = set()
    if user.must_change_password:
        found.add(Restriction.password_change)
    if user.role in config.mfa_required_roles and not user.totp_enabled:
        found.add(Restriction.mfa_enrolment)
    return frozenset(found)


def principal_of(session: Session, user: User, config: AuthConfig, session_id: int | None) -> Principal:
    scope = frozenset(agency_subtree(session, user.agency_id)) if user.agency_id is not None else None
    return Principal(
        name=user.username,
        role=user.role,
        agency_ids=scope,
        user_id=user.id,
        session_id=session_id,
        restrictions=restrictions_of(user, config),
    )


def resolve_session(
    session: Session, keys: SessionKeys, config: AuthConfig, cookie_value: str
) -> ResolvedSession | None:
    """The session behind a cookie value, or None when unknown, revoked, idle too long, past its
    absolute end, or its user is disabled. Notes the use (at most every 30 s) for the idle timeout."""
    found = find_session(session, config, cookie_value)
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if now - row.last_seen_at > min(LAST_SEEN_RESOLUTION, timedelta(minutes=config.session_idle_minutes) / 4):
        _note_use(session, row.id, now)
    return ResolvedSession(
        session_id=row.id,
        user_id=user.id,
        username=user.username,
        principal=principal_of(session, user, config, row.id),
        expires_at=row.expires_at,
        csrf_token=keys.csrf_token(cookie_value),
    )


def _note_use(session: Session, session_id: int, now: datetime) -> None:
    # In a short transaction of its own, like token use (eams/auth/tokens.py): through the
    # request's session it would hold SQLite's write lock for the whole request.
    with session.get_bind().engine.connect() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
        connection.commit()


def csrf_token_for(resolved: ResolvedSession | OpenedSession) -> str:
    """The CSRF token a page or script must send back with every state-changing request."""
    return resolved.csrf_token


def verify_csrf(resolved: ResolvedSession, presented: str | None) -> bool:
    """True when `presented` (header or form field) is this session's CSRF token."""
    return bool(presented) and hmac.compare_digest(resolved.csrf_token, str(presented))


def revoke_session(session: Session, session_id: int, *, user_id: int | None = None) -> bool:
    """End one session (of `user_id` only, when given). True when it was live."""
    clauses = [UserSession.id == session_id, UserSession.revoked_at.is_(None)]
    if user_id is not None:
        clauses.append(UserSession.user_id == user_id)
    result = session.execute(update(UserSession).where(*clauses).values(revoked_at=utcnow()))
    return bool(getattr(result, "rowcount", 0))


def revoke_sessions(session: Session, user_id: int, *, keep_session_id: int | None = None) -> int:
    """Sign a user out everywhere (but the session `keep_session_id`); returns how many ended."""
    clauses = [UserSession.user_id == user_id, UserSession.revoked_at.is_(None)]
    if keep_session_id is not None:
        clauses.append(UserSession.id != keep_session_id)
    result = session.execute(update(UserSession).where(*clauses).values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(session: Session, config: AuthConfig, user_id: int) -> list[UserSession]:
    now = utcnow()
    rows = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.stage == SessionStage.full)
        .order_by(UserSession.id)
    ).all()
    return [row for row in rows if _alive(row, config, now)]
