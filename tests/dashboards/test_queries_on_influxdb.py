"""Every InfluxQL query of every dashboard returns data on a real InfluxDB 1.6 loaded with what the
collectors wrote from real agents (tests/dashboards/lab.py): a panel that would show "No data" on
a real deployment fails here.

Grafana's macros are filled in as Grafana's InfluxDB data source fills them ($timeFilter as an
absolute range in ms, $__interval and $__interval_ms for the range), and template variables with
real values read by the dashboards' own variable queries. A query passes when, for some value of
its variables, at least one row has a non-null value.

Measurements no real agent here can produce are listed in NOT_PRODUCIBLE with the reason. Their
queries still run (they must be valid InfluxQL), and the test fails if one of them starts
returning rows, so the list cannot go stale.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards.influxql import Reference, references
from tests.dashboards.lab import DOWN_DEVICE, RECORDED, Lab, running_lab
from tests.dashboards.panels import ALL_QUERIES, BOARDS, Query

pytestmark = [pytest.mark.peer("influxd"), pytest.mark.peer("snmpd"), pytest.mark.peer("snmpsim")]

INTERVAL = "1m"  # what Grafana computes for a 6 h range on a panel about 360 px wide
NO_RECORDING = "no public recording of this vendor was found (the profile's header says so)"

# (measurement, text the query contains or "" for every query of it) -> why no real agent here writes it
NOT_PRODUCIBLE: dict[tuple[str, str], str] = {
    ("snmp_trap", ""): (
        "written by the trap receiver (collectors/traps, another branch) when a device sends a trap; "
        "polling never writes it"
    ),
    ("syslog", ""): (
        "written by the syslog intake (collectors/syslog) when a device sends syslog; the lab only polls"
    ),
    ("fortigate_vpn_tunnel", ""): (
        "the FortiGate recording in snmpsim-data has an empty fgVpnTunTable, "
        "and no other recording has IPsec tunnels"
    ),
    ("ups_io", ""): "snmpsim-data has no APC Smart-UPS recording (its APC files are rack PDUs)",
    # Profiles with no public recording (their headers say so): valid queries, no agent here.
    **{
        (measurement, ""): NO_RECORDING
        for measurement in (
            "f5_system",
            "f5_cpu",
            "f5_fan",
            "f5_power_supply",
            "f5_temperature",
            "f5_virtual_server",
            "f5_virtual_server_stat",
            "f5_pool_member",
            "idrac_system",
            "idrac_power_supply",
            "idrac_power",
            "idrac_fan",
            "idrac_temperature",
            "idrac_physical_disk",
            "idrac_virtual_disk",
            "ilo_system",
            "ilo_fan",
            "ilo_temperature",
            "ilo_power_supply",
            "ilo_physical_drive",
            "ilo_logical_drive",
            "esxi_system",
            "esxi_vm",
            "synology_system",
            "synology_disk",
            "synology_raid",
            "asa_connections",
            "asa_failover",
            "asa_vpn",
            "juniper_spu",
            "juniper_vc_member",
            "zte_unit",
        )
    },
    ("linux_mem", ""): "written by the SSH collector (collectors/ssh/linux.py); this lab polls SNMP only",
    ("linux_disk", ""): "written by the SSH collector (collectors/ssh/linux.py); this lab polls SNMP only",
}
try:  # The sink's state points come with the sink branch's SpoolingInfluxSink.
    from collectors.sinks.influx import SpoolingInfluxSink  # noqa: F401
except ImportError:
    NOT_PRODUCIBLE[("collector", "influx_sink")] = (
        "the InfluxDB sink's state points (component=influx_sink) are written by "
        "collectors/sinks/influx.py, which is not in this branch"
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("dashboards-lab")) as running:
        yield running


def _measurements(ref: Reference) -> set[str]:
    found = {ref.measurement} if ref.measurement else set()
    return found | (_measurements(ref.inner) if ref.inner else set())


def exemption(query: Query) -> str | None:
    for (measurement, marker), reason in NOT_PRODUCIBLE.items():
        if measurement in _measurements(references(query.text)) and marker in query.text:
            return reason
    return None


def fill_macros(text: str, now_ms: int) -> str:
    start = now_ms - 6 * 3600 * 1000
    return (
        text.replace("$timeFilter", f"time >= {start}ms and time <= {now_ms}ms")
        .replace("$__interval_ms", "60000")
        .replace("$__interval", INTERVAL)
    )


def variable_values(lab: Lab, board: dict[str, Any]) -> dict[str, list[str]]:
    """Each variable's values, read with the variable's own query, as Grafana would list them."""
    values: dict[str, list[str]] = {}
    for variable in board["templating"].get("list", []):
        answer = lab.query(variable["query"])
        series = answer["results"][0].get("series", [])  # type: ignore[index]
        found = sorted({row[1] for s in series for row in s["values"]})
        assert found, f"{board['uid']}: variable {variable['name']} lists no value"
        values[variable["name"]] = found
    return values


def substitutions(query: Query, values: dict[str, list[str]]) -> Iterator[str]:
    """The query with every combination of its variables' real values (regex-escaped, as Grafana does)."""
    names = [n for n in values if re.search(rf"\$\{{?{n}\b", query.text)]
    for combination in itertools.product(*(values[n] for n in names)):
        text = query.text
        for name, value in zip(names, combination, strict=True):
            text = re.sub(rf"\$\{{?{name}\}}?", re.escape(value).replace("/", r"\/"), text)
        yield text


def has_data(answer: dict[str, Any]) -> bool:
    result = answer["results"][0]
    assert "error" not in result, result["error"]
    return any(
        value is not None
        for series in result.get("series", [])
        for row in series["values"]
        for value in row[1:]
    )


BOARD_BY_UID = {board["uid"]: board for board in BOARDS}


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.label)
def test_query_returns_rows(lab: Lab, query: Query) -> None:
    values = variable_values(lab, BOARD_BY_UID[query.board])
    now_ms = time.time_ns() // 1_000_000
    answered = [has_data(lab.query(fill_macros(text, now_ms))) for text in substitutions(query, values)]
    reason = exemption(query)
    if reason is None:
        assert any(answered), f"{query.label} shows No data: {query.text}"
    else:
        assert not any(answered), (
            f"{query.label} now returns rows: remove its NOT_PRODUCIBLE entry ({reason})"
        )


def test_the_lab_holds_every_kind_of_device(lab: Lab) -> None:
    devices = {s.tags["device"] for s in lab.samples if s.measurement == "collector" and "device" in s.tags}
    assert len(devices) == len(RECORDED) + 2  # the recordings, this host's snmpd, one that is down
    down = [s for s in lab.samples if s.measurement == "collector" and s.tags.get("device") == DOWN_DEVICE]
    assert down and not any(s.fields["reachable"] for s in down)
    assert lab.lines == len(lab.samples)  # InfluxDB 1.6 took every line the collectors wrote


def test_a_broken_query_is_caught(lab: Lab) -> None:
    """The check can fail: a field no collector writes gives no rows, a syntax error an error."""
    now_ms = time.time_ns() // 1_000_000
    assert not has_data(
        lab.query(fill_macros('SELECT last("in_octet") FROM "interface" WHERE $timeFilter', now_ms))
    )
    with pytest.raises(AssertionError):
        has_data(
            lab.query(
                fill_macros('SELECT last("in_octets") FROM "interface" WHERE $timeFilter GROUP', now_ms)
            )
        )


def test_exemptions_name_real_measurements() -> None:
    from collectors.schema import build_schema

    schema = build_schema()
    assert all(measurement in schema for measurement, _ in NOT_PRODUCIBLE)
    exempt = [q for q in ALL_QUERIES if exemption(q)]
    # Panels derived from meanings carry one query per vendor measurement, and several vendors have
    # no public recording (their profiles say so): 58 of 169 queries today. Still most must run
    # on real data, and each exemption says why.
    assert len(exempt) < len(ALL_QUERIES) * 2 / 5, "most queries must be proven on real data"


PYTHON_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def test_everything_the_collectors_wrote_is_declared_in_the_schema(lab: Lab) -> None:
    """The schema the dashboards are checked against is what the poller (and sink) really wrote."""
    from collectors.schema import build_schema

    schema = build_schema()
    for sample in lab.samples:
        declared = schema[sample.measurement]
        assert set(sample.tags) <= declared.tags, (sample.measurement, set(sample.tags) - declared.tags)
        for name, value in sample.fields.items():
            spec = declared.fields[name]
            assert type(value) is PYTHON_TYPES[spec.type], (sample.measurement, name, value, spec.type)
            assert spec.counter == (name in sample.counters), (sample.measurement, name)
