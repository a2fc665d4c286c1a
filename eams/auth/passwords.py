"""Passwords: Argon2id hashes (argon2-cffi) and the policy a new password must meet."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from eams.auth.config import AuthConfig

COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common_passwords.yaml"
_TRAILING_DECORATION = re.compile(r"[\d\W_]+$")


class PasswordPolicyError(ValueError):
    """The password is refused; the message says why, in Vietnamese and English."""


def hasher(config: AuthConfig) -> PasswordHasher:
    """The Argon2id hasher with the configured cost (hashes made at another cost still verify)."""
    return _hasher(config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism)


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(config: AuthConfig, password: str) -> str:
    return hasher(config).hash(password)


def verify_password(config: AuthConfig, stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash a dummy one is checked, so that an unknown
    username costs the same time as a wrong password (no way to tell accounts apart by timing)."""
    ph = hasher(config)
    try:
        return ph.verify(stored_hash or _dummy_hash(ph), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(config: AuthConfig, stored_hash: str) -> bool:
    """After the cost was raised, the next successful sign-in stores a hash at the new cost."""
    try:
        return hasher(config).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def _dummy_hash(ph: PasswordHasher) -> str:
    return _dummy_for(ph.time_cost, ph.memory_cost, ph.parallelism)


@cache
def _dummy_for(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not a password of anyone")


@cache
def common_passwords() -> frozenset[str]:
    entries = yaml.safe_load(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")) or []
    return frozenset(_fold(str(entry)) for entry in entries)


def _fold(text: str) -> str:
    return "".join(text.lower().split())


def check_password_policy(config: AuthConfig, password: str, *, username: str) -> None:
    """Raise PasswordPolicyError unless `password` is long enough, is not (nor contains) the
    username, and is not a common password, also with digits or symbols added at its end."""
    if len(password) < config.password_min_length:
        raise PasswordPolicyError(
            f"mật khẩu cần ít nhất {config.password_min_length} ký tự / "
            f"the password needs at least {config.password_min_length} characters"
        )
    if len(password) > 1024:
        raise PasswordPolicyError("mật khẩu quá dài / the password is longer than 1024 characters")
    folded = _fold(password)
    name = _fold(username)
    if name and name in folded:
        raise PasswordPolicyError(
            "mật khẩu không được chứa tên đăng nhập / the password must not contain the username"
        )
    common = common_passwords()
    core = _TRAILING_DECORATION.sub("", folded)
    if folded in common or core in common or not core:  # not core: only digits and symbols
        raise PasswordPolicyError(
            "mật khẩu quá phổ biến, hãy chọn mật khẩu khác / this password is too common, choose another"
        )
