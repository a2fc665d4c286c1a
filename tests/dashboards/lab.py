"""A small lab of real agents, polled by the SNMP poller, written to a real InfluxDB 1.6.

Devices: the local net-snmp snmpd (a Linux server), snmpsim serving recordings of real devices
(Cisco, Juniper, FortiGate, Palo Alto, Huawei, H3C, a Linux host, an APC rack PDU, an Eaton UPS),
and one address where nothing answers (a device that is down). Each gets inventory tags (role,
site, agency) as `collectors/snmp/targets.py` would give it.

The poller polls every device ROUNDS times back to back. Its points are then stamped one poll
interval (60 s) apart, as a scheduler polling every minute would have written them, so that
derivatives over `GROUP BY time(1m)` have consecutive buckets to work on; values and tags are
exactly what the poller produced from the agents' answers. When the InfluxDB sink is present
(collectors/sinks/influx.py), the rounds also pass through it, and its state points are written too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.samples import Sample
from collectors.sinks.lineprotocol import LineEncoder
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import DEFAULT_ENGINE, make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet
from tests.support import snmp_agents
from tests.support.peers import free_udp_port
from tests.support.tsdb import InfluxDB1, influxdb1

DATABASE = "eams"
ROUNDS = 4
INTERVAL_NS = 60 * 1_000_000_000
SITE = "Trung tâm dữ liệu tỉnh"
AGENCY_DC = "Sở Khoa học và Công nghệ"
AGENCY_HEALTH = "Sở Y tế"

# Recordings the dashboards need beyond the SNMP tests' set (snmpsim-data paths).
EXTRA_RECORDINGS = {
    "huawei/s12704": "network/switch/huawei-s12704.snmprec.bz2",
    "h3c/comware7": "network/switch/h3c-comware-7-1-075.snmprec.bz2",
}

# device name -> (community on snmpsim, role, agency)
RECORDED = {
    "sw-core-01": ("cisco/c3560", "switch", AGENCY_DC),
    "rt-wan-01": ("juniper/mx960", "router", AGENCY_DC),
    "fw-dc-01": ("fortinet/fortigate", "firewall", AGENCY_DC),
    "fw-dc-02": ("paloalto/pa5000", "firewall", AGENCY_DC),
    "sw-agg-01": ("huawei/s12704", "switch", AGENCY_HEALTH),
    "sw-agg-02": ("h3c/comware7", "switch", AGENCY_HEALTH),
    "srv-app-01": ("linux/slackware", "server", AGENCY_HEALTH),
    "pdu-a1": ("apc/ap7902b", "pdu", AGENCY_DC),
    "pdu-b1": ("apc/ap8641", "pdu", AGENCY_DC),
    "ups-dc-01": ("eaton/93e", "ups", AGENCY_DC),
    "srv-win-01": ("windows/server2003", "server", AGENCY_HEALTH),
    "sw-tor-01": ("arista/dcs7150s", "switch", AGENCY_DC),
    "sw-blade-01": ("hpe/procurve6120xg", "switch", AGENCY_DC),
    "sw-acc-01": ("ruijie/s5750", "switch", AGENCY_HEALTH),
    "nas-01": ("netapp/fas3270", "storage", AGENCY_DC),
    "lb-01": ("sangfor/ad1800", "load_balancer", AGENCY_DC),
    "ups-dc-02": ("huawei/gse200m", "ups", AGENCY_DC),
    "sw-dc-01": ("cisco/n5000", "switch", AGENCY_DC),
    "fw-dc-03": ("public/checkpoint-gaia", "firewall", AGENCY_DC),
}
LOCAL_SERVER = "srv-eams-01"  # net-snmp snmpd on this host
DOWN_DEVICE = "sw-access-09"  # nothing listens at its address


@dataclass
class Lab:
    influx: InfluxDB1
    samples: list[Sample]
    lines: int

    def query(self, text: str) -> dict[str, object]:
        return self.influx.query(text, DATABASE)


def _targets(snmpd: snmp_agents.Agent, snmpsim: snmp_agents.Agent) -> list[PollTarget]:
    def tags(role: str, agency: str) -> dict[str, str]:
        return {"role": role, "site": SITE, "agency": agency}

    targets = [
        PollTarget(
            name,
            Endpoint(snmpsim.host, snmpsim.port, timeout_s=5),
            Credentials(community=community),
            tags=tags(role, agency),
        )
        for name, (community, role, agency) in RECORDED.items()
    ]
    targets.append(
        PollTarget(
            LOCAL_SERVER,
            Endpoint(snmpd.host, snmpd.port, timeout_s=5),
            Credentials(community="public"),
            tags=tags("server", AGENCY_DC),
        )
    )
    targets.append(
        PollTarget(
            DOWN_DEVICE,
            Endpoint("127.0.0.1", free_udp_port(), timeout_s=0.3, retries=0),
            Credentials(community="public"),
            tags=tags("switch", AGENCY_HEALTH),
        )
    )
    return targets


async def _poll(targets: list[PollTarget], spool: Path) -> list[Sample]:
    poller = Poller(make_engine(DEFAULT_ENGINE), ProfileSet.load())
    start = time.time_ns() - ROUNDS * INTERVAL_NS
    samples: list[Sample] = []
    rounds: list[tuple[int, list[Sample]]] = []
    try:
        for round_ in range(ROUNDS):
            results = await asyncio.gather(*(poller.poll(t) for t in targets))
            stamp = start + round_ * INTERVAL_NS
            polled = [dataclasses.replace(s, time_ns=stamp) for r in results for s in r.samples]
            rounds.append((stamp, polled))
            samples.extend(polled)
    finally:
        await poller.close()
    return samples + await _sink_states(rounds, spool)


async def _sink_states(rounds: list[tuple[int, list[Sample]]], spool: Path) -> list[Sample]:
    """The InfluxDB sink's own state points after each round, with no InfluxDB configured: the
    rounds really go to its disk spool, so `spooled_bytes` grows as it would during an outage."""
    try:
        from collectors.sinks.influx import SpoolingInfluxSink
        from collectors.sinks.spool import Spool
    except ImportError:  # the sink branch is not merged here: see NOT_PRODUCIBLE in the test
        return []
    sink = SpoolingInfluxSink(Spool(spool, fsync=False), None, state_interval=None, instance="collector-dc")
    await sink.start()
    states = []
    try:
        for stamp, samples in rounds:
            await sink.consume_samples(samples)
            await sink.flush()
            states.append(dataclasses.replace(sink.state_sample(), time_ns=stamp))
    finally:
        await sink.stop()
    return states


def write(influx: InfluxDB1, samples: list[Sample]) -> int:
    encoder = LineEncoder()
    lines = encoder.encode_lines(samples)
    status, body = influx.write(DATABASE, "\n".join(lines).encode())
    assert status == 204, f"InfluxDB 1.6 refused the collectors' lines: {status} {body}"
    return len(lines)


@contextmanager
def running_lab(folder: Path) -> Iterator[Lab]:
    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        for community, path in EXTRA_RECORDINGS.items():
            patch.setitem(snmp_agents.RECORDINGS, community, path)
        communities = [c for c, _role, _agency in RECORDED.values()]
        snmpsim = stack.enter_context(snmp_agents.snmpsim_agent(folder / "snmpsim", communities))
        snmpd = stack.enter_context(snmp_agents.snmpd_agent(folder / "snmpd"))
        influx = stack.enter_context(influxdb1(folder / "influxdb"))
        influx.query(f'CREATE DATABASE "{DATABASE}"')
        samples = asyncio.run(_poll(_targets(snmpd, snmpsim), folder / "spool"))
        yield Lab(influx, samples, write(influx, samples))
