"""The inventory benchmark runs end to end on a tiny inventory (figures are for `./dev bench`)."""

from __future__ import annotations

from bench.inventory.__main__ import main
from bench.inventory.run import Config, run


def test_inventory_benchmark_measures_both_queries_through_http_and_sql() -> None:
    report = run(Config(devices=500, agencies=30, requests=5), progress=lambda _message: None)
    assert report.backend == "sqlite" and report.devices == 500
    labels = [timing.label for timing in report.timings]
    assert labels == ["(a) filtered, paged list", "(b) free-text q search"]
    for timing in report.timings:
        assert len(timing.http_ms) == len(timing.sql_ms) == 5
        assert all(ms > 0 for ms in timing.http_ms)
    # The list filter matches devices; every search names an agency's devices, so some match too.
    assert sum(report.timings[0].matched) > 0 and sum(report.timings[1].matched) > 0
    assert "p95 ms" in report.render()


def test_inventory_benchmark_refuses_nonsense_sizes(capsys) -> None:
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        main(["--devices", "0"])
    assert exit_info.value.code == 2 and "--devices" in capsys.readouterr().err
