"""The store's point packing (collectors/sinks/store/codec.py): whatever goes in comes back out,
bit for bit, in (series, field, time) order, and a steady poll costs almost nothing."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.sinks.store.codec import FLOAT, INT, CodecError, Rows, decode, encode

NS = 1_000_000_000
T0 = 1_796_000_000 * NS


@st.composite
def point(draw: st.DrawFn) -> tuple[int, int, int, tuple[int, float | int]]:
    """(series, field, time offset in ns, (kind, value)); a field has one kind, as the schema says
    (even fields integers, odd ones floats)."""
    field = draw(st.integers(0, 3))
    value: tuple[int, float | int] = (
        (FLOAT, draw(st.floats(allow_nan=True, allow_infinity=True)))
        if field % 2
        else (INT, draw(st.integers(-(2**63), 2**63 - 1)))
    )
    return draw(st.integers(0, 5)), field, draw(st.integers(-(10**12), 10**12)), value


points = st.lists(point(), min_size=1, max_size=200)


def rows_of(found: list[tuple[int, int, int, tuple[int, float | int]]]) -> Rows:
    bits = [
        struct.unpack("<q", struct.pack("<d", value))[0] if kind == FLOAT else int(value)
        for _, _, _, (kind, value) in found
    ]
    return Rows(
        np.array([s for s, _, _, _ in found], np.int32),
        np.array([f for _, f, _, _ in found], np.int16),
        np.array([kind for _, _, _, (kind, _) in found], np.int8),
        np.array([T0 + t for _, _, t, _ in found], np.int64),
        np.array(bits, np.int64),
        np.full(len(found), np.nan),
    )


def round_trip(rows: Rows) -> tuple[Rows, list[tuple[int, int, int, int, int]]]:
    """The sorted input, and what decoding every series' blob gives back as (series, field, kind,
    time, bits) tuples."""
    wanted = rows.sorted()
    encoded = encode(wanted)
    series = [sid for sid, _ in encoded]
    decoded = decode(blob for _, blob in encoded)
    back = [
        (series[b], int(f), int(k), int(t), int(v))
        for b, f, k, t, v in zip(
            decoded.blob, decoded.field, decoded.kind, decoded.time, decoded.bits, strict=True
        )
    ]
    return wanted, back


@settings(max_examples=150, deadline=None)
@given(points)
def test_any_points_come_back_bit_for_bit(found: list[tuple[int, int, int, tuple[int, float | int]]]) -> None:
    # Integers at both ends of int64, NaN, infinities, -0.0, times out of order and duplicated.
    wanted, back = round_trip(rows_of(found))
    assert back == list(
        zip(
            wanted.series.tolist(),
            wanted.field.tolist(),
            wanted.kind.tolist(),
            wanted.time.tolist(),
            wanted.bits.tolist(),
            strict=True,
        )
    )


def test_sorting_keeps_the_last_write_of_a_point_and_orders_by_time() -> None:
    rows = rows_of([(1, 0, 20, (INT, 5)), (1, 0, 10, (INT, 1)), (1, 0, 20, (INT, 7)), (0, 1, 0, (INT, 3))])
    _, back = round_trip(rows)
    assert [(s, f, t - T0, v) for s, f, _, t, v in back] == [(0, 1, 0, 3), (1, 0, 10, 1), (1, 0, 20, 7)]


def test_a_steady_poll_of_a_counter_and_a_constant_gauge_costs_a_byte_and_a_half_a_point() -> None:
    # 300 polls a second apart with a jitter of up to 60 ns (its delta of deltas fits a byte once
    # zigzagged), a counter growing ~1 kB/s, a fixed speed.
    polls = 300
    jitter = np.random.default_rng(7).integers(0, 60, polls)
    times = T0 + np.arange(polls, dtype=np.int64) * NS + jitter
    counter = np.cumsum(np.random.default_rng(8).integers(900, 1100, polls))
    found = [(0, 0, int(t - T0), (INT, int(v))) for t, v in zip(times, counter, strict=True)]
    found += [(0, 1, int(t - T0), (INT, 1000)) for t in times]
    encoded = encode(rows_of(found).sorted())
    assert len(encoded) == 1
    per_point = encoded.nbytes / len(found)
    # time: 1 byte of jitter for the counter, 0 for the gauge (same times); values: 2 bytes of
    # delta for the counter, 0 for the constant gauge: ~1.5 bytes a point plus the headers.
    assert per_point < 1.6, per_point
    _, back = round_trip(rows_of(found))
    assert len(back) == len(found)


def test_a_damaged_blob_is_refused() -> None:
    wanted = rows_of([(0, 0, i * NS, (INT, i)) for i in range(10)]).sorted()
    (_, blob), *_ = list(encode(wanted))
    with pytest.raises(CodecError):
        decode([blob[: len(blob) // 2]])
    with pytest.raises(CodecError):
        decode([b"\xff" + blob[1:]])  # an unknown version
