from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.nats import NatsServer, nats_server
from tests.support.snmp_agents import Agent, snmpd_agent


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with snmpd_agent(tmp_path_factory.mktemp("snmpd-bus")) as agent:
        yield agent


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    with nats_server(tmp_path / "nats") as server:
        yield server
