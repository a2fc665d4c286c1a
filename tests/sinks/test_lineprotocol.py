"""Line protocol as the InfluxDB reference defines it, byte for byte."""

from __future__ import annotations

import logging

import pytest

from collectors.samples import Sample
from collectors.sinks.lineprotocol import (
    FLOAT,
    INTEGER,
    LineEncoder,
    encode_samples,
    escape_key,
    escape_measurement,
    escape_string_field,
)

T = 1_700_000_000_123_456_789


def line(sample: Sample) -> str | None:
    return LineEncoder().encode(sample)


def test_a_point_has_measurement_sorted_tags_typed_fields_and_a_nanosecond_timestamp() -> None:
    sample = Sample(
        "interface",
        {"site": "dc1", "device": "sw-01", "agency": "stt"},
        {"ifHCInOctets": 123, "utilisation": 0.25, "ifAlias": "uplink", "up": True},
        time_ns=T,
    )
    assert line(sample) == (
        "interface,agency=stt,device=sw-01,site=dc1 "
        'ifHCInOctets=123i,utilisation=0.25,ifAlias="uplink",up=true 1700000000123456789'
    )


def test_a_point_without_tags_has_no_comma_after_the_measurement() -> None:
    assert line(Sample("cpu", {}, {"usage": 5.0}, time_ns=1)) == "cpu usage=5.0 1"


def test_measurement_escapes_commas_and_spaces_but_not_equals_signs() -> None:
    assert escape_measurement("if stats,x=y") == r"if\ stats\,x=y"


def test_tag_keys_values_and_field_keys_escape_commas_equals_signs_and_spaces() -> None:
    assert escape_key("Cổng dịch vụ công, tầng=2") == r"Cổng\ dịch\ vụ\ công\,\ tầng\=2"
    sample = Sample("m", {"if alias": "a=b, c"}, {"in bytes": 1}, time_ns=1)
    assert line(sample) == r"m,if\ alias=a\=b\,\ c in\ bytes=1i 1"


def test_newlines_and_tabs_in_names_are_written_as_escape_sequences() -> None:
    assert escape_key("a\nb\tc\rd") == r"a\nb\tc\rd"


def test_a_backslash_before_an_escaped_character_is_doubled_so_the_line_still_splits_right() -> None:
    # Windows agents report hrStorageDescr as "C:\ Label:  Serial Number 5c1e1dd3".
    assert escape_key("C:\\ Label:") == "C:\\\\\\ Label:"
    assert escape_key("a\\b") == "a\\b"  # a lone backslash is literal


def test_trailing_backslashes_are_removed_because_influxdb_rejects_a_tag_ending_in_one() -> None:
    assert escape_key("A:\\") == "A:"
    sample = Sample("storage", {"descr": "\\\\", "device": "srv"}, {"size": 1}, time_ns=1)
    assert line(sample) == "storage,device=srv size=1i 1"


def test_string_fields_escape_double_quotes_and_backslashes_only() -> None:
    assert escape_string_field('say "xin chào", a=b \\ ok') == '"say \\"xin chào\\", a=b \\\\ ok"'


def test_empty_tag_values_and_empty_tag_keys_are_dropped() -> None:
    sample = Sample("m", {"ifAlias": "", "": "x", "device": "d"}, {"v": 1}, time_ns=1)
    assert line(sample) == "m,device=d v=1i 1"


def test_integers_get_the_i_suffix_and_booleans_are_never_integers() -> None:
    encoder = LineEncoder()
    assert encoder.encode(Sample("m", {}, {"flag": True, "count": 1}, time_ns=1)) == "m flag=true,count=1i 1"
    assert (
        encoder.encode(Sample("m", {}, {"flag": False, "count": 0}, time_ns=2)) == "m flag=false,count=0i 2"
    )


def test_floats_are_written_so_that_they_read_back_exactly() -> None:
    values = [0.1, 1e20, 1.5e-7, -273.15, 2.0]
    encoded = [line(Sample("m", {}, {"v": v}, time_ns=1)) for v in values]
    assert [float(text.split("v=")[1].split(" ")[0]) for text in encoded if text] == values


def test_nan_and_infinite_fields_are_dropped_and_counted() -> None:
    encoder = LineEncoder()
    sample = Sample("m", {}, {"a": float("nan"), "b": float("inf"), "c": -float("inf"), "d": 1.0}, time_ns=1)
    assert encoder.encode(sample) == "m d=1.0 1"
    assert encoder.stats.non_finite_fields == 3


def test_integers_beyond_int64_are_dropped_and_counted() -> None:
    encoder = LineEncoder()
    sample = Sample("m", {}, {"huge": 2**64 - 1, "max": 2**63 - 1, "min": -(2**63)}, time_ns=1)
    assert encoder.encode(sample) == f"m max={2**63 - 1}i,min={-(2**63)}i 1"
    assert encoder.stats.out_of_range_fields == 1


def test_a_point_left_without_fields_is_not_written_and_is_counted() -> None:
    encoder = LineEncoder()
    assert encoder.encode(Sample("m", {"device": "d"}, {"v": float("nan")}, time_ns=1)) is None
    assert encoder.encode(Sample("", {"device": "d"}, {"v": 1}, time_ns=1)) is None
    assert encoder.encode(Sample("m", {}, {}, time_ns=1)) is None
    assert encoder.stats.empty_points == 3
    assert encoder.stats.points == 0


def test_values_of_unsupported_types_are_dropped_and_counted() -> None:
    encoder = LineEncoder()
    sample = Sample("m", {}, {"bad": [1, 2], "ok": 1}, time_ns=1)  # type: ignore[dict-item]
    assert encoder.encode(sample) == "m ok=1i 1"
    assert encoder.stats.invalid_fields == 1


def test_a_field_keeps_the_type_it_was_first_written_with() -> None:
    encoder = LineEncoder()
    encoder.encode(Sample("cpu", {}, {"usage": 12.5, "cores": 8}, time_ns=1))
    # An integer for a float field is written as a float; an integral float for an int field as int.
    assert encoder.encode(Sample("cpu", {}, {"usage": 13, "cores": 8.0}, time_ns=2)) == (
        "cpu usage=13.0,cores=8i 2"
    )
    assert encoder.field_kind("cpu", "usage") == FLOAT
    assert encoder.field_kind("cpu", "cores") == INTEGER
    assert encoder.stats.coerced_fields == 2


def test_a_value_that_would_change_a_field_type_is_dropped_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    encoder = LineEncoder()
    encoder.encode(Sample("ups", {}, {"status": 2, "load": 1}, time_ns=1))
    with caplog.at_level(logging.WARNING):
        assert (
            encoder.encode(Sample("ups", {}, {"status": "online", "load": 1}, time_ns=2)) == "ups load=1i 2"
        )
        assert encoder.encode(Sample("ups", {}, {"status": True, "load": 2.5}, time_ns=3)) is None
    assert encoder.stats.type_conflicts == 3
    assert [r.message.split(" is ")[0] for r in caplog.records] == ["field ups.status", "field ups.load"]


def test_the_same_field_name_may_have_different_types_in_different_measurements() -> None:
    encoder = LineEncoder()
    encoder.encode(Sample("a", {}, {"value": 1}, time_ns=1))
    assert encoder.encode(Sample("b", {}, {"value": "text"}, time_ns=1)) == 'b value="text" 1'


def test_a_batch_is_lines_joined_by_newlines_in_utf8() -> None:
    samples = [
        Sample("m", {"alias": "Sở Y tế"}, {"v": 1}, time_ns=1),
        Sample("m", {}, {"v": float("nan")}, time_ns=2),
        Sample("m", {}, {"v": 3}, time_ns=3),
    ]
    body = LineEncoder().encode_batch(samples)
    assert body == "m,alias=Sở\\ Y\\ tế v=1i 1\nm v=3i 3".encode()
    assert encode_samples(samples) == body.decode().split("\n")
