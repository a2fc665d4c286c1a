"""Real agents for discovery, on loopback addresses 127.0.1.11-13 sharing one UDP port (a sweep
uses one port per credentials profile, as in a real network):

- 127.0.1.11: net-snmp snmpd (community `public`), sysName eams-test-agent, no ENTITY-MIB
- 127.0.1.12: snmpsim, H3C E528 recording (community `h3c/e528`): sysName DUMSYS-02, an LLDP
  neighbour WRD-Huiju-2 (10.1.123.2) on GigabitEthernet1/0/33
- 127.0.1.13: snmpsim, Cisco C3560 recording (community `cisco/c3560`): ENTITY-MIB chassis, CDP cache

Recordings come from snmpsim-data, trimmed to the subtrees discovery reads.
"""

from __future__ import annotations

import bz2
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.discovery.reader import SYSTEM_OIDS, WALKED
from tests.support.peers import free_udp_port
from tests.support.snmp_agents import CACHE, Agent, snmpd_agent, snmpsim_agent

SNMPD_HOST, H3C_HOST, CISCO_HOST = "127.0.1.11", "127.0.1.12", "127.0.1.13"
SWEEP = "127.0.1.10-127.0.1.20"

# community -> recording in snmpsim-data
SOURCES = {
    "h3c/e528": "network/switch/h3c-e528-1.snmprec.bz2",
    "cisco/c3560": "network/switch/cisco-c3560.snmprec.bz2",
}


@dataclass(frozen=True)
class Lab:
    port: int
    snmpd: Agent
    h3c: Agent
    cisco: Agent


def trimmed_recording(community: str) -> Path:
    """A data folder holding only `community`, cut to the system group and the walked columns."""
    import snmpsim_data

    folder = CACHE / "discovery" / community.replace("/", "-")
    target = folder / f"{community}.snmprec"
    if not target.exists():
        source = Path(snmpsim_data.__file__).parent / "data" / SOURCES[community]
        prefixes = tuple(oid + "." for oid in WALKED) + tuple(oid + "|" for oid in SYSTEM_OIDS)
        with bz2.open(source, "rt", encoding="utf-8", errors="replace") as lines:
            kept = [
                line if line.endswith("\n") else line + "\n" for line in lines if line.startswith(prefixes)
            ]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        partial.write_text("".join(kept))
        partial.replace(target)
    return folder


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    port = free_udp_port(SNMPD_HOST)
    folder = tmp_path_factory.mktemp("discovery-lab")
    with (
        snmpd_agent(folder / "snmpd", host=SNMPD_HOST, port=port) as snmpd,
        snmpsim_agent(
            folder / "h3c", ["h3c/e528"], H3C_HOST, data=trimmed_recording("h3c/e528"), port=port
        ) as h3c,
        snmpsim_agent(
            folder / "cisco", ["cisco/c3560"], CISCO_HOST, data=trimmed_recording("cisco/c3560"), port=port
        ) as cisco,
    ):
        yield Lab(port, snmpd, h3c, cisco)
