"""bench/auth runs end to end at a small size (its figures are for `./dev bench auth`)."""

from __future__ import annotations

import pytest

from bench.auth.__main__ import main
from bench.auth.run import Config, run
from tests.auth.conftest import auth_config


def test_the_auth_benchmark_measures_sign_in_and_both_ways_of_finding_the_caller() -> None:
    report = run(
        Config(sign_ins=3, requests=5, auth=auth_config(max_failures=1000)), progress=lambda _m: None
    )
    assert len(report.sign_in.wall_ms) == len(report.bare_verify.wall_ms) == 3
    assert [t.label for t in report.requests][:2] == [
        "GET /auth/me with a bearer token",
        "GET /auth/me with a session cookie",
    ]
    assert all(len(t.wall_ms) == 5 and t.cpu_ms > 0 for t in report.requests)
    text = report.render()
    assert "time_cost=1, memory=8192 KiB" in text and "session vs bearer token" in text


def test_the_auth_benchmark_refuses_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--sign-ins", "1"])
    assert exit_info.value.code == 2 and "--sign-ins" in capsys.readouterr().err
