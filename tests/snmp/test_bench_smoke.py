"""The benchmark runs end to end on a tiny configuration (figures are not checked: speed is
measured by ./dev bench snmp, not asserted)."""

from __future__ import annotations

import asyncio

from bench.snmp.agents import snmpd_devices
from bench.snmp.peers import exporter_module
from bench.snmp.worker import run
from collectors.snmp.profile import ProfileSet
from tests.support.peers import require_program


def test_two_devices_two_rounds_with_the_default_engine() -> None:
    require_program("/usr/sbin/snmpd")
    with snmpd_devices(2) as (addresses, port):
        result = asyncio.run(run("snmpkit", addresses, port, rounds=2, interval_s=0, concurrency=4))
    rounds = result["rounds"]
    assert [r["unreachable"] for r in rounds] == [0, 0]
    assert all(r["varbinds"] > 2 * 50 and r["bytes"] > 0 for r in rounds)


def test_the_exporter_module_reads_the_profiles_oids() -> None:
    profile = ProfileSet.load()["net-snmp-linux"]
    module = exporter_module(profile)["eams"]
    assert set(module["get"]) == set(profile.scalar_oids)
    assert set(profile.column_oids) <= set(module["walk"])
    assert set(profile.label_oids) <= set(module["walk"])
