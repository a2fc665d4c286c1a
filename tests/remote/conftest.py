from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.snmp_agents import Agent, snmpd_agent


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with snmpd_agent(tmp_path_factory.mktemp("snmpd-remote")) as agent:
        yield agent
