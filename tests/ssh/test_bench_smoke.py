"""The SSH backup benchmark runs end to end on a tiny configuration (speed is measured by
`./dev bench ssh`, not here)."""

from __future__ import annotations

import pytest

from bench.ssh.__main__ import run


@pytest.mark.peer("fake-switches")
def test_bench_backs_up_every_simulated_device(fake_switches_venv: str) -> None:
    figures = run(devices=3, workers=2, sequential_sample=1, quiet=True)
    assert (figures["devices"], figures["ok"], figures["sequential_devices"]) == (3, 3, 1)
    assert figures["devices_per_minute"] > 0 and figures["peak_rss_collector_mib"] > 0
