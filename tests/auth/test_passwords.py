"""The password policy and the Argon2id hashes."""

from __future__ import annotations

import pytest

from eams.auth.passwords import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from tests.auth.conftest import auth_config


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("ngan-qua", "ít nhất 10 ký tự"),
        ("nguyen.van.a-2026", "tên đăng nhập"),
        ("Nguyen.Van.A!!x", "tên đăng nhập"),
        ("matkhau123", "phổ biến"),
        ("Matkhau2024!", "phổ biến"),
        ("P@ssw0rd!!!", "phổ biến"),
        ("1234567890123", "phổ biến"),
        ("!!!!!!!!!!!!", "phổ biến"),
    ],
)
def test_the_policy_refuses_short_personal_and_common_passwords(password: str, why: str) -> None:
    with pytest.raises(PasswordPolicyError, match=why):
        check_password_policy(auth_config(), password, username="nguyen.van.a")


@pytest.mark.parametrize("password", ["Ngay-mai-troi-nang-7", "correct horse battery", "Sở Y tế 2026 #x"])
def test_the_policy_accepts_long_uncommon_passwords(password: str) -> None:
    check_password_policy(auth_config(), password, username="nguyen.van.a")


def test_hashes_are_argon2id_verify_and_are_renewed_after_the_cost_rises() -> None:
    cheap = auth_config()
    stored = hash_password(cheap, "Ngay-mai-troi-nang-7")
    assert stored.startswith("$argon2id$") and "Ngay-mai" not in stored
    assert verify_password(cheap, stored, "Ngay-mai-troi-nang-7")
    assert not verify_password(cheap, stored, "ngay-mai-troi-nang-7")
    assert not verify_password(cheap, None, "Ngay-mai-troi-nang-7")  # unknown user: a dummy check
    assert not verify_password(cheap, "not a hash", "x")
    assert not needs_rehash(cheap, stored)
    assert needs_rehash(auth_config(argon2_time_cost=2), stored)
