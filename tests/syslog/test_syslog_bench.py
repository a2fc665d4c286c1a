"""The syslog benchmark still runs end to end (a tiny configuration; its figures are not checked)."""

from __future__ import annotations

import pytest

from bench.syslog.__main__ import main
from tests.support.peers import require_program


async def test_syslog_benchmark_runs_a_tiny_round(capsys: pytest.CaptureFixture[str]) -> None:
    require_program("rsyslogd")
    await main(["--messages", "200", "--rounds", "1", "--udp-messages", "100", "--bursts", "1"])
    printed = capsys.readouterr().out
    assert "lost 0" in printed, printed
    assert "rsyslog tcp" in printed and "message to alert (1 bursts" in printed


def test_syslog_benchmark_refuses_nonsense_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    with pytest.raises(SystemExit) as exit_info:
        asyncio.run(main(["--messages", "0"]))
    assert exit_info.value.code == 2 and "--messages" in capsys.readouterr().err
