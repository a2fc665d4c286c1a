"""The impact benchmark at toy size: it runs end to end through a real `eams serve`, and the API
agrees with the raw algorithm on every failure it asks about. (Speed is for `./dev bench impact`.)"""

from __future__ import annotations

from pathlib import Path

from bench.impact.__main__ import report, run


def test_impact_bench_small_landscape(tmp_path: Path) -> None:
    figures = run(devices=400, systems=40, queries=20, workdir=tmp_path)
    assert len(figures.http_ms) == len(figures.raw_ms) == 20
    assert figures.lost_http == figures.lost_raw
    assert any(figures.lost_http), "some failure in the mix should cost systems"
    summary = report(figures, 400, 40)
    assert summary["edges"] == figures.edges > 400
    assert summary["http_p95_ms"] >= summary["http_p50_ms"] > 0
