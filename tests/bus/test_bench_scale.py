"""bench/scale runs end to end on a tiny workload (figures are for `./dev bench scale`)."""

from __future__ import annotations

import pytest

from bench.scale.__main__ import main
from bench.scale.agents_leg import AgentsConfig, run_agents
from bench.scale.run import Config, run
from tests.support.peers import require_program


@pytest.mark.peer("nats-server")
def test_the_scale_benchmark_measures_both_paths() -> None:
    require_program("nats-server")
    report = run(Config(devices=40, rounds=2, publishers=2, partitions=4), progress=lambda _message: None)
    per_round = 40 * report.samples_per_device
    assert report.in_process.samples == 2 * per_round
    assert report.bus.samples == 2 * per_round  # the paced rounds come on top, not counted in the rate
    assert report.bus.latency_ms and report.bus.bus_cpu_s >= 0
    assert "cores/10k dev @60s" in report.render()


@pytest.mark.peer("nats-server", "snmpd")
def test_the_agents_leg_carries_every_polled_sample_through_the_bus() -> None:
    require_program("nats-server")
    require_program("/usr/sbin/snmpd")
    config = AgentsConfig(devices=20, collectors=2, interval_s=5, rounds=1, partitions=4, per_agent=10)
    report = run_agents(config, progress=lambda _message: None)
    bus, alone = report.bus, report.in_process
    assert alone is not None and report.agent_processes == 2
    # Every sample the collectors' pollers made was published and reached the service's
    # pipeline (after the sink and the alert engine) once.
    assert bus.polled_samples > 20 * 10  # a poll of snmpd gives some 20 samples
    assert bus.sealed_samples == bus.polled_samples
    assert bus.consumed_samples == bus.polled_samples
    assert bus.pending_batches == 0 and bus.duplicates == 0 and bus.pipeline_errors == 0
    (measured,) = bus.rounds
    assert measured.samples > 0 and measured.polls > 0
    assert 0 < measured.p50_ms <= measured.p95_ms
    assert measured.cpu_s["collectors"] > 0 and measured.cpu_s["service"] > 0
    (polled,) = alone.rounds
    assert polled.samples > 0 and polled.polls > 0 and alone.pipeline_errors == 0
    assert alone.consumed_samples == alone.polled_samples > 0
    text = report.render()
    assert "projected cores per 10,000 devices at a 60 s interval" in text
    assert "bus path / in-process CPU per poll" in text


def test_the_scale_benchmark_refuses_nonsense_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--collectors", "0"])
    assert exit_info.value.code == 2 and "--collectors" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--agents", "--interval", "0"])
    assert exit_info.value.code == 2 and "--interval" in capsys.readouterr().err
