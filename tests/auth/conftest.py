"""Fixtures of the sign-in tests: settings with a cheaper Argon2 than production's (bench/auth
measures the real cost) and no delay between attempts unless a test asks for one."""

from __future__ import annotations

from pathlib import Path

import pytest

from eams.auth.config import AuthConfig
from eams.settings import Settings

FAST = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "delay_base_s": 0.0}


def auth_config(**overrides: object) -> AuthConfig:
    return AuthConfig.model_validate({**FAST, **overrides})


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        auth=auth_config(),
    )
