"""The discovery benchmark runs end to end on a tiny configuration (speed is measured by
./dev bench discovery, not asserted)."""

from __future__ import annotations

from bench.discovery.__main__ import run
from collectors.discovery.sweep import SweepSettings
from tests.support.peers import require_program


def test_two_agents_and_two_silent_addresses() -> None:
    require_program("/usr/sbin/snmpd")
    require_program("snmpbulkwalk")
    figures = run(2, 2, 1, SweepSettings(concurrency=4, rate=0, timeout_s=0.3))
    assert [rows[0]["found"] for rows in figures.values()] == [2, 2]
