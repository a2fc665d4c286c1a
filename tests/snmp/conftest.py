"""Real agents for the SNMP tests: one net-snmp snmpd and one snmpsim serving device recordings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collectors.snmp.engines import ENGINE_NAMES
from tests.support.snmp_agents import Agent, snmpd_agent, snmpsim_agent


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with snmpd_agent(tmp_path_factory.mktemp("snmpd")) as agent:
        yield agent


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with snmpsim_agent(tmp_path_factory.mktemp("snmpsim")) as agent:
        yield agent


@pytest.fixture(params=ENGINE_NAMES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """Every test that takes this runs once per engine: the engines' conformance suite."""
    name: str = request.param
    if name == "snmpkit":
        pytest.importorskip("snmpkit.manager", reason="snmpkit is not installed")
    return name
