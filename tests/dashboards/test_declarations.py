"""The hand-written declarations (collectors/measurements/) match what their collectors write.

Each check runs when that collector's code is present in the tree (the SSH collector, the trap
receiver and the sink come from other branches) and feeds it real input from this machine.
"""

from __future__ import annotations

import subprocess

import pytest

from collectors.schema import INVENTORY_TAGS, build_schema

SCHEMA = build_schema()
PYTHON_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _assert_declared(measurement: str, tags: set[str], fields: dict[str, object]) -> None:
    declared = SCHEMA[measurement]
    assert tags <= declared.tags, (measurement, tags - declared.tags)
    for name, value in fields.items():
        assert name in declared.fields, f"{measurement}.{name} is not declared"
        assert type(value) is PYTHON_TYPES[declared.fields[name].type], (measurement, name, value)


def test_ssh_linux_metrics_from_this_host_are_declared() -> None:
    linux = pytest.importorskip("collectors.ssh.linux", reason="the SSH collector is not in this tree")
    platforms = pytest.importorskip("collectors.ssh.platforms")
    registry = platforms.load_registry()
    script = linux.metrics_script(registry.get("linux").metrics)
    output = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30).stdout
    tags = {"device": "srv-app-01", "role": "server", "site": "DC", "agency": "SYT"}
    samples = linux.linux_samples(output, tags, None)
    assert {s.measurement for s in samples} >= {"linux_cpu", "linux_mem", "linux_system", "linux_disk"}
    for sample in samples:
        _assert_declared(sample.measurement, set(sample.tags), dict(sample.fields))
    assert set(INVENTORY_TAGS) <= SCHEMA["linux_cpu"].tags


def test_sink_state_points_are_declared(tmp_path) -> None:  # type: ignore[no-untyped-def]
    influx = pytest.importorskip("collectors.sinks.influx", reason="the InfluxDB sink is not in this tree")
    from collectors.sinks.spool import Spool

    sink = influx.SpoolingInfluxSink(Spool(tmp_path, fsync=False), None, state_interval=None)
    sample = sink.state_sample()
    _assert_declared(sample.measurement, set(sample.tags), dict(sample.fields))
