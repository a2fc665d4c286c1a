"""Creating and resolving API tokens. Tokens are random; only their SHA-256 digest is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eams.auth.principal import Principal
from inventory.hierarchy import agency_subtree
from inventory.models import Agency, ApiToken, Role
from inventory.models.base import utcnow

TOKEN_PREFIX = "eams_"
# Writing last_used_at on every request would turn every read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be created as asked (unknown agency, bad name ...)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: Role,
    agency_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token and return it with its clear text, which is never stored."""
    name = name.strip()
    if not name:
        raise TokenError("the token needs a name, for example --name nguyen.van.a")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise TokenError(f"agency {agency_id} does not exist")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role,
        agency_id=agency_id,
        digest=digest(clear),
        prefix=clear[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, clear


def resolve_token(session: Session, clear: str) -> Principal | None:
    """The principal behind a bearer token, or None when unknown, revoked or expired."""
    token = session.scalar(select(ApiToken).where(ApiToken.digest == digest(clear)))
    if token is None or token.revoked:
        return None
    now = utcnow()
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return None
    scope = None
    if token.agency_id is not None:
        scope = frozenset(agency_subtree(session, token.agency_id))
    if token.last_used_at is None or now - _aware(token.last_used_at) > LAST_USED_RESOLUTION:
        _note_use(session, token.id, now)
    return Principal(name=token.name, role=token.role, token_id=token.id, agency_ids=scope)


def _note_use(session: Session, token_id: int, now: datetime) -> None:
    """Record the use in a short transaction of its own. Written through the request's session it
    would hold SQLite's write lock for the whole request, and a handler that writes through a second
    session (collector heartbeats) would wait on it until "database is locked"."""
    with session.get_bind().engine.connect() as connection:
        connection.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        connection.commit()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they were stored in UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
