"""The trap benchmark still runs (a tiny configuration; its figures are not checked here)."""

from __future__ import annotations

import pytest

from bench.traps.__main__ import main
from tests.support.peers import require_program


async def test_trap_benchmark_runs_a_tiny_round(capsys: pytest.CaptureFixture[str]) -> None:
    require_program("snmptrap")
    await main(traps=4, senders=1, rounds=1)
    printed = capsys.readouterr().out
    assert "bare pysnmp receive" in printed and "full eams path" in printed
    assert "mapped 4" in printed
