"""`./dev bench metrics` runs end to end on a tiny estate (figures are not checked here)."""

from __future__ import annotations

import pytest

from bench.metrics.__main__ import main


def test_the_benchmark_prints_write_cost_disk_memory_and_query_percentiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(
        [
            "--devices",
            "20",
            "--rounds",
            "8",
            "--history-devices",
            "2",
            "--history-hours",
            "2",
            "--repeats",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert "round without the store" in out and "the store's write" in out
    assert "bytes on disk per value" in out and "peak memory" in out
    assert "device page" in out and "top-10 of 160 interfaces" in out and "store" in out


def test_the_benchmark_refuses_nonsense_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--devices", "0"])
    assert exit_info.value.code == 2 and "--devices" in capsys.readouterr().err
