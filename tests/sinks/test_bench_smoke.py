"""`./dev bench sink` runs end to end on a tiny configuration (figures are not checked here)."""

from __future__ import annotations

import re

import pytest

from bench.sink.__main__ import estate, influxdb_client_encode, main
from collectors.sinks.lineprotocol import LineEncoder

UNESCAPED_SPACE = re.compile(r"(?<!\\) ")


def test_the_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--devices", "5", "--repeats", "1", "--spool-batches", "3", "--batch-kib", "4"])
    out = capsys.readouterr().out
    assert "points/s" in out and "ratio eams (warm) / influxdb-client" in out
    assert "append (fsync per batch)" in out and "replay (no fsync" in out


def test_both_encoders_in_the_benchmark_produce_the_same_points() -> None:
    # The comparison is fair only if both sides encode the same data to equivalent lines.
    samples = estate(3, 1_700_000_000_000_000_000)
    ours = LineEncoder().encode_batch(samples).decode().split("\n")
    theirs = influxdb_client_encode(samples).decode().split("\n")
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        my_key, my_fields, my_time = UNESCAPED_SPACE.split(mine)
        their_key, their_fields, their_time = UNESCAPED_SPACE.split(other)
        assert (my_key, my_time) == (their_key, their_time)
        assert sorted(f.split("=")[0] for f in my_fields.split(",")) == sorted(
            f.split("=")[0] for f in their_fields.split(",")
        )
