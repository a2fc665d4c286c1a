"""The read path turns stored counters into rates with the width each profile field declares:
a field that may come from a Counter32 column survives a 2^32 wrap, a Counter64 that goes down
was reset (no rate), and a value no Counter32 can hold that goes down is a reset, not a wrap."""

from __future__ import annotations

import numpy as np
import pytest

from collectors.schema import FieldSchema, snmp_measurements
from collectors.sinks.store.reader import RawSeries
from collectors.snmp.profile import ProfileSet
from eams.metrics.compute import NO_RESTARTS, field_points

NS = 1_000_000_000
WRAP32 = 1 << 32
Fields = dict[tuple[str, str], FieldSchema]


@pytest.fixture(scope="module")
def fields() -> Fields:
    schema = snmp_measurements(ProfileSet.load())
    return {(m.name, name): spec for m in schema for name, spec in m.fields.items()}


def rates(spec: FieldSchema, values: list[int]) -> list[float]:
    times = np.array([i * 10 * NS for i in range(len(values))], np.int64)
    raw = RawSeries(times, np.array(values, np.float64), list(values))
    return field_points(raw, spec, as_rate=True, restarted=NO_RESTARTS, start_ns=0).value.tolist()


def test_a_32_bit_interface_counter_that_wraps_reads_as_traffic(fields: Fields) -> None:
    # A Windows server without ifXTable: in_octets comes from ifInOctets (Counter32).
    spec = fields[("interface", "in_octets")]
    assert rates(spec, [WRAP32 - 1000, 9000]) == [1000.0]


def test_a_64_bit_value_that_goes_down_is_a_reset_even_where_a_fallback_is_32_bit(fields: Fields) -> None:
    spec = fields[("interface", "in_octets")]
    assert rates(spec, [5 * WRAP32, 7000, 17000]) == [1000.0]


def test_a_counter64_that_goes_down_has_no_rate(fields: Fields) -> None:
    spec = fields[("fortigate_vpn_tunnel", "in_octets")]  # fgVpnTunEntInOctets
    assert spec.counter_bits == 64
    assert rates(spec, [WRAP32 - 1000, 9000, 19000]) == [1000.0]


def test_a_counter32_field_wraps(fields: Fields) -> None:
    spec = fields[("ucd_cpu", "user_ticks")]
    assert rates(spec, [WRAP32 - 50, 50]) == [10.0]
