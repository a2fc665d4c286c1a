"""The shapes of accounts, sessions and audit records at the API boundary. None of them has a
field for a password hash, a session id or a TOTP seed; the two answers that show a secret once
(`MfaEnrolment`, `RecoveryCodes`) say so."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from eams.auth.login import LoginState
from eams.auth.models import UserSource
from inventory.models.enums import Role
from inventory.schemas.common import Input, ObjectId, Output, text

PeopleRole = Literal["admin", "operator", "security", "planner"]
Language = Literal["vi", "en"]
Username = text(100, 1)


class SecretInput(BaseModel):
    """Bodies with a password: nothing stripped (a space is part of a password) and nothing
    echoed back in validation errors (pydantic's `input` is left out by eams.api.errors)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, hide_input_in_errors=True)


def password_field(description: str) -> Any:
    return Field(min_length=1, max_length=1024, description=description)


class LoginIn(SecretInput):
    username: str = Field(min_length=1, max_length=100, description="Tên đăng nhập / username")
    password: str = password_field("Mật khẩu / password")
    code: text(20, 1) | None = Field(  # type: ignore[valid-type]
        None, description="TOTP or recovery code, when the account has MFA (else answered mfa_required)"
    )


class MfaLoginIn(SecretInput):
    challenge: text(200, 1) = Field(description="From the mfa_required answer")  # type: ignore[valid-type]
    code: text(20, 1) = Field(description="6-digit TOTP code or a recovery code")  # type: ignore[valid-type]


class UserRead(Output):
    id: int
    username: str
    full_name: str
    email: str | None
    role: Role
    agency_id: int | None
    language: str
    active: bool
    source: UserSource
    must_change_password: bool
    mfa_enabled: bool = Field(validation_alias="totp_enabled")
    created_at: datetime
    last_login_at: datetime | None


class LoginAnswer(Output):
    """A sign-in step that went through. The session itself is in the HttpOnly cookie."""

    state: LoginState
    message: str
    user: UserRead | None = None
    csrf_token: str | None = Field(None, description="Echo in X-CSRF-Token on every change")
    expires_at: datetime | None = Field(None, description="The session's absolute end")
    challenge: str | None = Field(None, description="mfa_required: send it with the code to /login/mfa")


class MeAnswer(Output):
    """Who the caller is: a person's account and session, or a token."""

    kind: Literal["session", "token"]
    name: str
    role: Role
    agency_ids: list[int] | None
    restrictions: list[str]
    user: UserRead | None = None
    token_id: int | None = None
    session_expires_at: datetime | None = None
    csrf_token: str | None = None


class SessionRead(Output):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str | None
    user_agent: str | None
    current: bool = False


class PasswordChangeIn(SecretInput):
    current_password: str = password_field("Mật khẩu hiện tại / current password")
    new_password: str = password_field("Mật khẩu mới / new password")


class MfaEnrolment(Output):
    """Shown this once: the seed, as text and as a QR code (SVG drawn by the service itself)."""

    otpauth_uri: str
    secret: str = Field(description="Base32 seed, for typing into the app by hand")
    qr_svg: str = Field(description="SVG image of otpauth_uri, rendered locally")


class CodeIn(SecretInput):
    code: text(20, 1)  # type: ignore[valid-type]


class RecoveryCodes(Output):
    """Shown this once; only their hashes are kept. Each signs in once instead of a TOTP code."""

    recovery_codes: list[str]


class UserCreate(SecretInput):
    username: Username  # type: ignore[valid-type]
    role: PeopleRole
    password: str | None = Field(
        None, min_length=1, max_length=1024, description="Initial password, to be changed at first sign-in"
    )
    full_name: text(200) = ""  # type: ignore[valid-type]
    email: text(254) | None = None  # type: ignore[valid-type]
    agency_id: ObjectId | None = Field(None, description="Limit the user to this agency and its sub-agencies")
    language: Language = "vi"


class UserUpdate(Input):
    full_name: text(200) | None = None  # type: ignore[valid-type]
    email: text(254) | None = None  # type: ignore[valid-type]
    role: PeopleRole | None = None
    agency_id: ObjectId | None = Field(None, description="null with clear_agency=true makes it unscoped")
    clear_agency: bool = False
    language: Language | None = None
    active: bool | None = None


class PasswordSetIn(SecretInput):
    password: str = password_field("Mật khẩu mới / new password")


class AuditRead(Output):
    id: int
    time: datetime
    actor: str
    actor_user_id: int | None
    actor_token_id: int | None
    action: str
    outcome: str
    object_type: str | None
    object_id: int | None
    object_repr: str | None
    agency_id: int | None
    request_id: str | None
    address: str | None
    user_agent: str | None
    detail: dict[str, Any]
    hash: str


class ChainAnswer(Output):
    ok: bool
    checked: int
    bad_id: int | None
    problem: str | None
