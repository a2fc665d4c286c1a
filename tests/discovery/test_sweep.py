"""The sweep against real agents: which profile answers, what is read, silence is quick."""

from __future__ import annotations

import asyncio

import pytest

from collectors.discovery import ranges
from collectors.discovery.reader import ENT_MODEL, ENT_SERIAL
from collectors.discovery.sweep import Probe, SweepResult, SweepSettings, sweep
from collectors.snmp.engine import Credentials, SnmpVersion
from collectors.snmp.engines import make_engine
from tests.discovery.conftest import CISCO_HOST, H3C_HOST, SNMPD_HOST, SWEEP, Lab
from tests.support.snmp_agents import net_snmp_values

SETTINGS = SweepSettings(concurrency=8, rate=200, timeout_s=0.5, retries=0)


def probes(port: int) -> list[Probe]:
    return [
        Probe("public", Credentials(community="public"), port),
        Probe("h3c", Credentials(community="h3c/e528"), port),
        Probe("cisco", Credentials(community="cisco/c3560"), port),
    ]


def run(addresses: list[str], port: int) -> SweepResult:
    async def go() -> SweepResult:
        engine = make_engine()
        try:
            # A stall guard, not a timing assertion: a hung sweep fails instead of hanging CI.
            return await asyncio.wait_for(sweep(engine, addresses, probes(port), SETTINGS), 120)
        finally:
            await engine.close()

    return asyncio.run(go())


def test_each_agent_is_read_with_the_first_credentials_profile_that_answers(lab: Lab) -> None:
    addresses = ranges.addresses([SWEEP])
    result = run(addresses, lab.port)

    found = {report.address: report for report in result.reports}
    assert sorted(found) == [SNMPD_HOST, H3C_HOST, CISCO_HOST]
    assert result.done == result.total == 11
    assert sorted(result.silent) == sorted(set(addresses) - set(found))
    assert {address: found[address].credentials for address in found} == {
        SNMPD_HOST: "public",
        H3C_HOST: "h3c",
        CISCO_HOST: "cisco",
    }
    assert found[SNMPD_HOST].sys_name == "eams-test-agent"
    assert found[SNMPD_HOST].snmp_profile == "net-snmp-linux"
    assert found[SNMPD_HOST].interfaces, "snmpd's IF-MIB lists at least the loopback"
    assert "127.0.0.1" in found[SNMPD_HOST].addresses

    h3c = found[H3C_HOST]
    assert h3c.sys_name == "DUMSYS-02" and h3c.snmp_profile == "h3c" and h3c.vendor == "H3C"
    [lldp] = h3c.neighbours
    assert (lldp.protocol, lldp.name, lldp.address, lldp.chassis_id) == (
        "lldp",
        "WRD-Huiju-2",
        "10.1.123.2",
        "38:91:d5:fb:74:2c",
    )
    assert lldp.remote_port == "GigabitEthernet1/0/33"


def test_the_chassis_and_cdp_cache_match_what_net_snmp_reads(lab: Lab) -> None:
    [cisco] = run([CISCO_HOST], lab.port).reports
    community = "cisco/c3560"
    models = net_snmp_values("snmpbulkwalk", lab.cisco, ENT_MODEL, community=community)
    serials = net_snmp_values("snmpbulkwalk", lab.cisco, ENT_SERIAL, community=community)
    assert cisco.model and cisco.model in models.values()
    assert cisco.serial and cisco.serial in serials.values()
    assert cisco.firmware
    device_ids = net_snmp_values(
        "snmpbulkwalk", lab.cisco, "1.3.6.1.4.1.9.9.23.1.2.1.1.6", community=community
    )
    cdp = [n for n in cisco.neighbours if n.protocol == "cdp"]
    assert sorted(n.name or "" for n in cdp) == sorted(device_ids.values())
    assert all(n.address and n.address.startswith("10.1.100.") for n in cdp)
    assert all(n.local_port and not n.local_port.isdigit() for n in cdp), "local ports are named by ifName"


def test_an_unreachable_range_finishes_with_every_address_silent(lab: Lab) -> None:
    # Nothing of ours listens on 127.0.2.0/28 at this port: every probe times out.
    addresses = ranges.addresses(["127.0.2.0/28"])
    result = run(addresses, lab.port)
    assert result.reports == [] and result.errors == {}
    assert sorted(result.silent) == sorted(addresses) and result.done == 14


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.0/30", ["10.0.0.1", "10.0.0.2"]),
        ("10.0.0.5", ["10.0.0.5"]),
        ("10.0.0.254-10.0.1.1", ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]),
        ("10.0.0.8-10", ["10.0.0.8", "10.0.0.9", "10.0.0.10"]),
        ("10.0.0.7/32", ["10.0.0.7"]),
    ],
)
def test_ranges_expand_as_an_operator_means_them(text: str, expected: list[str]) -> None:
    assert ranges.addresses([text]) == expected
    assert ranges.total([text]) == len(expected)


@pytest.mark.parametrize("text", ["10.0.0.0/33", "10.0.0.300", "10.0.0.9-3", "host.example", "10.0.0.1-::1"])
def test_bad_ranges_are_refused_with_the_range_named(text: str) -> None:
    with pytest.raises(ranges.RangeError, match=repr(text).replace(".", r"\.").replace("(", r"\(")):
        ranges.total([text])


def v3(name: str, auth_key: str, port: int) -> Probe:
    credentials = Credentials(
        version=SnmpVersion.v3,
        user="labv3",
        auth_protocol="SHA",
        auth_key=auth_key,
        priv_protocol="AES",
        priv_key="privpass123",
    )
    return Probe(name, credentials, port)


def test_a_refused_v3_profile_is_passed_over_and_reported_only_when_none_answers(lab: Lab) -> None:
    async def go(chosen: list[Probe]) -> SweepResult:
        engine = make_engine()
        try:
            return await asyncio.wait_for(sweep(engine, [SNMPD_HOST], chosen, SETTINGS), 60)
        finally:
            await engine.close()

    wrong, right = v3("v3-wrong", "wrongpass123", lab.port), v3("v3-right", "authpass123", lab.port)
    answered = asyncio.run(go([wrong, right]))
    assert [report.credentials for report in answered.reports] == ["v3-right"]
    assert answered.errors == {} and answered.silent == []

    refused = asyncio.run(go([wrong]))
    assert refused.reports == [] and refused.silent == []
    assert list(refused.errors) == [SNMPD_HOST] and "v3-wrong" in refused.errors[SNMPD_HOST]
