"""`eams user` and `eams audit` refuse bad input with a sentence and an exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EAMS = str(Path(sys.executable).with_name("eams"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    return {
        **clean,
        "EAMS_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
        "EAMS_AUTH_ARGON2_TIME_COST": "1",
    }


def eams(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([EAMS, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_user_commands_refuse_bad_input_with_a_sentence(env: dict[str, str]) -> None:
    no_password = eams(env, "user", "create", "an", "--role", "admin")
    assert no_password.returncode == 2 and "--password-stdin" in no_password.stderr
    weak = eams(
        env, "user", "create", "an.nguyen", "--role", "admin", "--password-stdin", stdin="matkhau123\n"
    )
    assert weak.returncode == 2 and "too common" in weak.stderr
    create = ["user", "create", "an.nguyen", "--role", "planner", "--password-stdin"]
    agency = eams(env, *create, "--agency", "KHONG", stdin="Ngay-mai-troi-nang-7\n")
    assert agency.returncode == 2 and "KHONG" in agency.stderr
    created = eams(env, *create, stdin="Ngay-mai-troi-nang-7\n")
    assert created.returncode == 0, created.stderr
    listed = eams(env, "user", "list")
    assert "an.nguyen" in listed.stdout and "planner" in listed.stdout and "Ngay-mai" not in listed.stdout
    missing = eams(env, "user", "disable", "khong.co")
    assert missing.returncode == 2 and "khong.co" in missing.stderr
    for output in (no_password, weak, agency, created, listed, missing):
        assert "Traceback" not in output.stderr
    verified = eams(env, "audit", "verify")
    assert verified.returncode == 0 and "1 records" in verified.stdout  # the user's creation
