"""bench/scale runs end to end on a tiny workload (figures are for `./dev bench scale`)."""

from __future__ import annotations

import pytest

from bench.scale.__main__ import main
from bench.scale.run import Config, run
from tests.support.peers import require_program

pytestmark = pytest.mark.peer("nats-server")


def test_the_scale_benchmark_measures_both_paths() -> None:
    require_program("nats-server")
    report = run(Config(devices=40, rounds=2, publishers=2, partitions=4), progress=lambda _message: None)
    per_round = 40 * report.samples_per_device
    assert report.in_process.samples == 2 * per_round
    assert report.bus.samples == 2 * per_round  # the paced rounds come on top, not counted in the rate
    assert report.bus.latency_ms and report.bus.bus_cpu_s >= 0
    assert "cores/10k dev @60s" in report.render()


def test_the_scale_benchmark_refuses_nonsense_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--collectors", "0"])
    assert exit_info.value.code == 2 and "--collectors" in capsys.readouterr().err
