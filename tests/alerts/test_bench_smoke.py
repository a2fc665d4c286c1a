"""The alert benchmark runs end to end on a tiny estate (figures come from `./dev bench alerts`)."""

from __future__ import annotations

import pytest

from bench.alerts.__main__ import run


async def test_bench_runs_a_tiny_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    await run(devices=8, rules=20, rounds=1, flips=4, seed=1)
    printed = capsys.readouterr().out
    assert "keeps up with 160 series/s on one core" in printed
    assert "naive evaluator" in printed and "p95" in printed
