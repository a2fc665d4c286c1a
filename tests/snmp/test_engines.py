"""The engine interface, run against net-snmp's snmpd for every engine (the conformance suite):
what each engine reads equals what net-snmp's own snmpget/snmpbulkwalk read from the same agent."""

from __future__ import annotations

import asyncio

import pytest

from collectors.snmp.engine import (
    COUNTER64,
    NO_SUCH,
    OCTETS,
    OID,
    TIMETICKS,
    Credentials,
    Endpoint,
    SnmpAuthError,
    SnmpTimeout,
    SnmpVersion,
)
from collectors.snmp.engines import make_engine
from tests.support.peers import free_udp_port
from tests.support.snmp_agents import Agent, net_snmp_values

pytestmark = pytest.mark.peer("snmpd")

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
HR_STORAGE_SIZE = "1.3.6.1.2.1.25.2.3.1.5"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"

V3_SHA_AES = Credentials(
    version=SnmpVersion.v3,
    user="labv3",
    auth_protocol="SHA",
    auth_key="authpass123",
    priv_protocol="AES",
    priv_key="privpass123",
)
V3_SHA256_AES256 = Credentials(
    version=SnmpVersion.v3,
    user="labv3sha2",
    auth_protocol="SHA256",
    auth_key="authpass256",
    priv_protocol="AES256",
    priv_key="privpass256",
)


@pytest.mark.parametrize(
    "credentials",
    [Credentials(), Credentials(version=SnmpVersion.v1), V3_SHA_AES, V3_SHA256_AES256],
    ids=["v2c", "v1", "v3-sha-aes128", "v3-sha256-aes256"],
)
async def test_get_and_walk_read_what_net_snmp_reads(
    engine_name: str, snmpd: Agent, credentials: Credentials
) -> None:
    engine = make_engine(engine_name)
    session = await engine.open(Endpoint(snmpd.host, snmpd.port), credentials)
    try:
        name, object_id, uptime, missing = await session.get(
            ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.99.0"]
        )
        walked = await session.bulk_walk([IF_NAME, HR_STORAGE_SIZE, IF_HC_IN_OCTETS])
    finally:
        await session.close()
        await engine.close()

    assert (name.kind, name.value) == (OCTETS, b"eams-test-agent")
    assert (object_id.kind, object_id.value) == (OID, "1.3.6.1.4.1.8072.3.2.10")
    assert uptime.kind == TIMETICKS and isinstance(uptime.value, int)
    assert missing.kind == NO_SUCH and not missing.exists

    expected_names = net_snmp_values("snmpbulkwalk", snmpd, IF_NAME)
    assert {
        vb.oid: vb.value.decode() for vb in walked[IF_NAME] if isinstance(vb.value, bytes)
    } == expected_names
    expected_sizes = net_snmp_values("snmpbulkwalk", snmpd, HR_STORAGE_SIZE)
    assert {vb.oid: str(vb.value) for vb in walked[HR_STORAGE_SIZE]} == expected_sizes
    if credentials.version is SnmpVersion.v1:
        assert walked[IF_HC_IN_OCTETS] == []  # SNMPv1 has no Counter64: the agent skips them
    else:
        assert len(walked[IF_HC_IN_OCTETS]) == len(expected_names)
        assert all(vb.kind == COUNTER64 for vb in walked[IF_HC_IN_OCTETS])


async def test_a_wrong_v3_key_is_an_authentication_error(engine_name: str, snmpd: Agent) -> None:
    wrong = Credentials(
        version=SnmpVersion.v3,
        user="labv3",
        auth_protocol="SHA",
        auth_key="not-the-key",
        priv_protocol="AES",
        priv_key="privpass123",
    )
    engine = make_engine(engine_name)
    with pytest.raises(SnmpAuthError, match="rejected the SNMPv3 credentials"):
        session = await engine.open(Endpoint(snmpd.host, snmpd.port, timeout_s=1, retries=0), wrong)
        await session.get(["1.3.6.1.2.1.1.5.0"])
    await engine.close()


async def test_an_agent_that_does_not_answer_times_out(engine_name: str) -> None:
    silent = Endpoint("127.0.0.1", free_udp_port(), timeout_s=0.3, retries=1)
    engine = make_engine(engine_name)
    with pytest.raises(SnmpTimeout, match="did not answer"):
        session = await engine.open(silent, Credentials())
        await session.get(["1.3.6.1.2.1.1.5.0"])
    await engine.close()


def test_bad_v3_credentials_are_refused_before_any_packet() -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        Credentials(version=SnmpVersion.v3, user="u", auth_protocol="SHA", auth_key="short")
    with pytest.raises(ValueError, match="auth protocol must be one of"):
        Credentials(version=SnmpVersion.v3, user="u", auth_protocol="SHA3", auth_key="longenough")
    with pytest.raises(ValueError, match="unknown SNMP engine"):
        make_engine("netsnmp-c")


async def test_a_long_lived_v3_session_keeps_decoding_answers(engine_name: str, snmpd: Agent) -> None:
    """Answers are decrypted with the engine time the agent put in them, not an estimate:
    snmpkit 1.9 alone failed about 6 in 10 of these once its estimate drifted a second."""
    engine = make_engine(engine_name)
    session = await engine.open(Endpoint(snmpd.host, snmpd.port), V3_SHA256_AES256)
    names = []
    try:
        for _ in range(30):  # across several of the agent's engine-time seconds
            (name,) = await session.get(["1.3.6.1.2.1.1.5.0"])
            names.append(name.value)
            await asyncio.sleep(0.1)
    finally:
        await session.close()
        await engine.close()
    assert names == [b"eams-test-agent"] * 30
