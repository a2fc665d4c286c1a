"""Managing people's accounts: create, change, set a password, disable, unlock.

Used alike by `/api/v1/users`, the `eams user` commands and the web pages, so every path applies
the same rules (password policy, people-only roles, agency exists, sessions end with the account).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.auth import throttle
from eams.auth.config import AuthConfig
from eams.auth.models import User, UserSource
from eams.auth.passwords import check_password_policy, hash_password
from eams.auth.sessions import revoke_sessions
from inventory.models import Agency, Role
from inventory.models.base import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
LANGUAGES = ("vi", "en")


class UserError(ValueError):
    """The account cannot be changed as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise UserError(
            "tên đăng nhập gồm 2-100 chữ thường, số, '.', '_', '-', '@' / a username is 2-100 lower-case "
            "letters, digits, '.', '_', '-' or '@', starting with a letter or digit",
            "username",
        )
    return name


@dataclass(frozen=True)
class UserFields:
    """What an admin may set on an account (None: leave as it is)."""

    full_name: str | None = None
    email: str | None = None
    role: Role | None = None
    agency_id: int | None = None
    clear_agency: bool = False
    language: str | None = None
    active: bool | None = None


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def _check_role(role: Role) -> None:
    if role is Role.collector:
        raise UserError(
            "vai trò collector dành cho máy (token), không cho người / the collector role is for "
            "machines (tokens), not for people",
            "role",
        )


def _check_agency(session: Session, agency_id: int | None) -> None:
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise UserError(f"không có đơn vị {agency_id} / agency {agency_id} does not exist", "agency_id")


def create_user(
    session: Session,
    config: AuthConfig,
    *,
    username: str,
    role: Role,
    password: str | None,
    full_name: str = "",
    email: str | None = None,
    agency_id: int | None = None,
    language: str = "vi",
    must_change_password: bool = True,
    source: UserSource = UserSource.local,
) -> User:
    """A new account. A password set by someone else must be changed at first sign-in."""
    name = check_username(username)
    _check_role(role)
    _check_agency(session, agency_id)
    if language not in LANGUAGES:
        raise UserError("ngôn ngữ là vi hoặc en / language is vi or en", "language")
    if find_user(session, name) is not None:
        raise UserError(f"đã có tài khoản {name} / the username {name} is taken", "username")
    user = User(
        username=name,
        full_name=full_name.strip(),
        email=(email or "").strip() or None,
        role=role,
        agency_id=agency_id,
        language=language,
        source=source,
        active=True,
    )
    if source is UserSource.local:
        if password is None:
            raise UserError("cần mật khẩu / a password is required", "password")
        _set_hash(config, user, password, name)
        user.must_change_password = must_change_password
    session.add(user)
    session.flush()
    return user


def _set_hash(config: AuthConfig, user: User, password: str, username: str) -> None:
    try:
        check_password_policy(config, password, username=username)
    except ValueError as exc:
        raise UserError(str(exc), "password") from None
    user.password_hash = hash_password(config, password)
    user.password_changed_at = utcnow()


def update_user(session: Session, user: User, fields: UserFields) -> User:
    """Change an account; disabling it ends its sessions at once."""
    if fields.role is not None:
        _check_role(fields.role)
        user.role = fields.role
    if fields.clear_agency:
        user.agency_id = None
    elif fields.agency_id is not None:
        _check_agency(session, fields.agency_id)
        user.agency_id = fields.agency_id
    if fields.full_name is not None:
        user.full_name = fields.full_name.strip()
    if fields.email is not None:
        user.email = fields.email.strip() or None
    if fields.language is not None:
        if fields.language not in LANGUAGES:
            raise UserError("ngôn ngữ là vi hoặc en / language is vi or en", "language")
        user.language = fields.language
    if fields.active is not None:
        user.active = fields.active
    session.flush()
    if (
        fields.active is False
        or fields.role is not None
        or fields.agency_id is not None
        or fields.clear_agency
    ):
        # A narrower role or scope must not live on in sessions opened under the old one.
        revoke_sessions(session, user.id)
    return user


def set_password(session: Session, config: AuthConfig, user: User, password: str, *, by_admin: bool) -> None:
    """A new password. Set by an admin, it must be changed at the next sign-in and every session
    ends; chosen by the user, their other sessions end (the caller keeps the current one)."""
    if user.source is not UserSource.local:
        raise UserError(
            "mật khẩu của tài khoản LDAP do thư mục quản lý / an LDAP account's password is kept by "
            "the directory",
            "password",
        )
    _set_hash(config, user, password, user.username)
    user.must_change_password = by_admin
    session.flush()
    if by_admin:
        revoke_sessions(session, user.id)


def disable_user(session: Session, user: User) -> int:
    """Disable the account; returns how many sessions ended."""
    user.active = False
    session.flush()
    return revoke_sessions(session, user.id)


def unlock_user(session: Session, user: User) -> int:
    """Release a lockout of this username (the failures per address stay counted)."""
    return throttle.release(session, [throttle.username_key(user.username)])
