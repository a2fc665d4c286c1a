"""The `snmp_trap` points are accepted by a strict InfluxDB 1.6, whatever trap they come from.

InfluxDB 1.x refuses a field whose type changes between points; mapped, unknown, v1 and v3 traps
must therefore all write `count` and `varbinds` as integers and `trap_oid`, `message` as strings.
The lines are made with influxdb-client's Point (the InfluxDB sink's job in the service).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest
from influxdb_client import Point

from collectors.pipeline import Pipeline
from collectors.samples import Sample
from collectors.senders import KnownDevice
from collectors.traps.mappings import load_mappings
from collectors.traps.processor import TrapProcessor
from collectors.traps.receiver import ReceivedTrap, Varbind
from tests.support.peers import free_port, require_program, running

TESTDATA = Path(__file__).parent / "testdata"


@pytest.fixture
def influxdb(tmp_path: Path) -> Iterator[str]:
    program = require_program("/usr/bin/influxd")
    http_port = free_port()
    conf = tmp_path / "influxdb.conf"
    template = (TESTDATA / "influxdb.conf.in").read_text()
    conf.write_text(template.format(folder=tmp_path, rpc_port=free_port(), http_port=http_port))
    url = f"http://127.0.0.1:{http_port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/ping", timeout=0.5).status_code == 204
        except httpx.HTTPError:
            return False

    with running([program, "-config", str(conf)], ready=ready, what="influxd", log_path=tmp_path / "log"):
        httpx.post(f"{url}/query", data={"q": "CREATE DATABASE eams"}).raise_for_status()
        yield url


def line(sample: Sample) -> str:
    point = Point(sample.measurement).time(sample.time_ns)
    for key, value in sample.tags.items():
        point = point.tag(key, value)
    for key, value in sample.fields.items():
        point = point.field(key, value)
    return str(point.to_line_protocol())


def trap(oid: str, version: Literal["v1", "v2c", "v3"], *varbinds: Varbind, received_ns: int) -> ReceivedTrap:
    return ReceivedTrap(
        source="127.0.1.5", source_port=50000, version=version, security_name="community-1",
        trap_oid=oid, uptime=100, agent_address=None, varbinds=varbinds, inform=False,
        received_ns=received_ns,
    )  # fmt: skip


def test_snmp_trap_points_keep_their_field_types_in_a_strict_influxdb(influxdb: str) -> None:
    processor = TrapProcessor(load_mappings(), Pipeline())
    firewall = KnownDevice(7, "fgt-dc-01")
    base = 1_795_000_000_000_000_000
    samples = [
        processor.process(
            trap("1.3.6.1.4.1.12356.101.2.0.302", "v2c",
                 Varbind("1.3.6.1.4.1.12356.101.12.3.4.0", "OctetString", 'HQ "main", tunnel=1'),
                 received_ns=base),
            firewall,
        ).sample,
        processor.process(trap("1.3.6.1.4.1.318.0.5", "v3", received_ns=base + 1), None).sample,
        processor.process(
            trap("1.3.6.1.6.3.1.1.5.3", "v1", Varbind("1.3.6.1.2.1.2.2.1.1.3", "Integer", 3),
                 received_ns=base + 2),
            firewall,
        ).sample,
    ]  # fmt: skip
    written = httpx.post(
        f"{influxdb}/write", params={"db": "eams", "precision": "ns"}, content="\n".join(map(line, samples))
    )
    assert written.status_code == 204, written.text

    def query(q: str) -> list[list[object]]:
        answer = httpx.get(f"{influxdb}/query", params={"db": "eams", "q": q}).json()
        return list(answer["results"][0]["series"][0]["values"])

    assert sorted(map(tuple, query("SHOW FIELD KEYS FROM snmp_trap"))) == [
        ("count", "integer"),
        ("message", "string"),
        ("trap_oid", "string"),
        ("varbinds", "integer"),
    ]
    assert query("SELECT sum(count) FROM snmp_trap")[0][1] == 3
    by_name = query('SELECT "message" FROM snmp_trap WHERE "name" = \'fortinet.vpn.tunnel_down\'')
    assert by_name[0][1] == 'fgt-dc-01: VPN tunnel HQ "main", tunnel=1 to ? is down'
