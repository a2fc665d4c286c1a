"""Tables of people's accounts: users, their sessions, sign-in throttling, MFA recovery codes.

No column holds a secret in clear: passwords and recovery codes are Argon2id hashes, session ids
are stored as SHA-256 digests, TOTP seeds are encrypted with the service's SecretBox.
Registered in `inventory.model_registry.MODEL_MODULES`; the migration is 0830.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow
from inventory.models.enums import Role


class UserSource(StrEnum):
    local = "local"  # password kept here
    ldap = "ldap"  # password checked by binding to the directory; role from its groups


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, doc="Lower case")
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    # A scoped user sees only this agency and its sub-agencies. RESTRICT: deleting the agency must
    # not silently widen (SET NULL) or erase (CASCADE) an account that the audit log names.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[UserSource] = mapped_column(
        Enum(UserSource, native_enum=False, length=10), default=UserSource.local
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(Text, doc="SecretBox-encrypted base32 seed")
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last time step accepted: a code is good once (RFC 6238 section 5.2).
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]

    def __str__(self) -> str:
        return self.username


class SessionStage(StrEnum):
    full = "full"  # signed in
    mfa = "mfa"  # password accepted, waiting for the TOTP code (a short-lived challenge)


class UserSession(Base):
    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 of the cookie value")
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    stage: Mapped[SessionStage] = mapped_column(
        Enum(SessionStage, native_enum=False, length=10), default=SessionStage.full
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(doc="Absolute end, whatever the activity")
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins of one username (`user:NAME`) or one address (`addr:IP`) in the current window."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class RecoveryCode(Base):
    """One-time MFA recovery codes; only their Argon2id hash is stored."""

    __tablename__ = "mfa_recovery_code"
    __table_args__ = (Index("ix_mfa_recovery_code_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
