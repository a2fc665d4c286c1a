"""Real devices' recordings served by snmpsim: for each, the profile chosen, and interface
counters, CPU, memory and serial equal to what net-snmp's snmpget/snmpbulkwalk read from the
same agent. Runs once per engine (part of the conformance suite).

snmpsim-data has no APC *UPS* recording (its APC files are rack PDUs): the APC profile is checked
on an AP7902B PDU, and the UPS battery/runtime/load on an Eaton 93E through UPS-MIB. Vendors that
snmpsim-data lacks (Check Point, Sophos) are served from files eams wrote from the vendors' MIB
definitions, not device recordings (testdata/recordings/README.md); profiles with no public
recording say so in their header.
"""

from __future__ import annotations

import pytest

from collectors.samples import Sample
from collectors.snmp.engine import Credentials, Endpoint
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import FieldSpec, MetricSpec, ProfileSet
from tests.support.snmp_agents import Agent, net_snmp_values

pytestmark = pytest.mark.peer("snmpsim")

# community -> (profile expected, [(measurement, field) that must equal net-snmp's reading])
DEVICES = {
    "cisco/c3560": (
        "cisco",
        [
            ("interface", "in_octets"),
            ("interface", "out_octets"),
            ("cisco_cpu", "load_5m_percent"),
            ("cisco_memory_pool", "used_bytes"),
            ("cisco_memory_pool", "free_bytes"),
            ("entity", "serial"),
        ],
    ),
    "juniper/mx960": (
        "juniper",
        [
            ("interface", "in_octets"),
            ("juniper_operating", "cpu_percent"),
            ("juniper_operating", "memory_mb"),
            ("juniper_operating", "temperature_celsius"),
            ("juniper_box", "serial"),
        ],
    ),
    "fortinet/fortigate": (
        "fortigate",
        [
            ("interface", "in_octets"),
            ("fortigate_system", "cpu_percent"),
            ("fortigate_system", "memory_percent"),
            ("fortigate_system", "sessions"),
            ("fortigate_system", "serial"),
            ("fortigate_system", "ha_mode"),
            ("fortigate_vdom", "cpu_percent"),
            ("fortigate_vdom", "sessions"),
            ("fortigate_sensor", "value"),
            ("fortigate_sensor", "alarm"),
        ],
    ),
    "paloalto/pa5000": (
        "paloalto",
        [
            ("interface", "in_octets"),
            ("host_cpu", "load_percent"),
            ("host_storage", "used_units"),
            ("paloalto_sessions", "active"),
            ("paloalto_system", "serial"),
            ("paloalto_system", "ha_state"),
            ("paloalto_globalprotect", "active_tunnels"),
        ],
    ),
    "linux/slackware": (
        "net-snmp-linux",
        [
            ("interface", "in_octets"),
            ("host_cpu", "load_percent"),
            ("ucd_memory", "total_kib"),
            ("ucd_memory", "available_kib"),
            ("ucd_cpu", "user_ticks"),
        ],
    ),
    "huawei/s5720": (
        "huawei",
        [
            ("interface", "in_octets"),
            ("huawei_entity", "cpu_percent"),
            ("huawei_entity", "memory_percent"),
            ("entity", "serial"),
        ],
    ),
    "h3c/comware7": (
        "h3c",
        [
            ("interface", "in_octets"),
            ("h3c_entity", "cpu_percent"),
            ("h3c_entity", "memory_percent"),
            ("h3c_entity", "temperature_celsius"),
        ],
    ),
    "apc/ap7902b": ("apc", [("apc_ident", "pdu_serial"), ("apc_pdu_load", "current_a")]),
    "apc/ap8641": (
        "apc",
        [
            ("apc_pdu_phase", "current_a"),
            ("apc_pdu_phase", "load_state"),
            ("apc_pdu_phase", "power_w"),
            ("apc_pdu_outlet", "current_a"),
            ("apc_pdu_outlet", "power_w"),
        ],
    ),
    "eaton/93e": (
        "ups-mib",
        [
            ("ups_battery", "charge_percent"),
            ("ups_battery", "runtime_s"),
            ("ups_battery", "status"),
            ("ups_output_line", "load_percent"),
        ],
    ),
    # A Windows server without ifXTable: counters and speed from the 32-bit ifTable fallbacks.
    "windows/server2003": (
        "windows",
        [
            ("interface", "in_octets"),
            ("interface", "out_octets"),
            ("interface", "speed_mbps"),
            ("host_cpu", "load_percent"),
            ("host_storage", "used_units"),
            ("windows_service", "operating_state"),
        ],
    ),
    "arista/dcs7150s": (
        "arista",
        [
            ("interface", "in_octets"),
            ("host_cpu", "load_percent"),
            ("entity_sensor", "value"),
            ("entity", "serial"),
        ],
    ),
    "hpe/procurve6120xg": (
        "hpe-procurve",
        [
            ("interface", "in_octets"),
            ("procurve_system", "cpu_percent"),
            ("procurve_memory", "free_bytes"),
            ("procurve_memory", "total_bytes"),
            ("procurve_sensor", "status"),
        ],
    ),
    "ruijie/s5750": (
        "ruijie",
        [
            ("interface", "in_octets"),
            ("ruijie_cpu", "load_5m_percent"),
            ("ruijie_memory_pool", "used_percent"),
        ],
    ),
    "netapp/fas3270": (
        "netapp",
        [
            ("netapp_system", "cpu_percent"),
            ("netapp_system", "health"),
            ("netapp_system", "failed_disks"),
            ("netapp_system", "failed_fans"),
            ("netapp_volume", "used_percent"),
        ],
    ),
    "sangfor/ad1800": (
        "sangfor",
        [("interface", "in_octets"), ("host_cpu", "load_percent"), ("ucd_memory", "total_kib")],
    ),
    # A Huawei UPS card reporting net-snmp's sysObjectID: UPS-MIB is read all the same (fallback).
    "huawei/gse200m": (
        "net-snmp-linux",
        [("ups_battery", "charge_percent"), ("ups_battery", "status"), ("ups_input_line", "voltage")],
    ),
    "cisco/n5000": (
        "cisco",
        [
            ("interface", "in_octets"),
            ("cisco_cpu", "load_5m_percent"),  # NX-OS answers only cpmCPUTotal5minRev: the fallback
            ("cisco_cpu", "memory_used_kib"),
            ("cisco_cpu", "memory_free_kib"),
        ],
    ),
    # The ZTE recording has no zxr10SystemUnitTable rows: the profile choice and interfaces only.
    "zte/zxr10-5250": ("zte", [("interface", "in_octets"), ("interface", "oper_status")]),
    # Written by eams from the MIBs' definitions, not device recordings (testdata/recordings/README.md).
    "public/sophos-xg": (
        "sophos",
        [
            ("interface", "in_octets"),
            ("interface", "out_octets"),
            ("sophos_system", "model"),
            ("sophos_system", "firmware"),
            ("sophos_system", "appliance_key"),
        ],
    ),
    "public/checkpoint-gaia": (
        "checkpoint",
        [
            ("interface", "in_octets"),
            ("interface", "oper_status"),
            ("ucd_memory", "total_kib"),
            ("ucd_cpu", "user_ticks"),
            ("checkpoint_system", "serial"),
            ("checkpoint_system", "model"),
            ("checkpoint_system", "version"),
            ("checkpoint_system", "connections"),
            ("checkpoint_system", "peak_connections"),
            ("checkpoint_system", "ike_sas"),
            ("checkpoint_system", "ha_state"),
            ("checkpoint_system", "ha_status"),
            ("checkpoint_disk", "size_bytes"),
            ("checkpoint_disk", "used_bytes"),
            ("checkpoint_temperature", "celsius"),
            ("checkpoint_temperature", "state"),
            ("checkpoint_fan", "rpm"),
            ("checkpoint_fan", "state"),
        ],
    ),
}


def expected_value(spec: FieldSpec, text: str) -> object:
    """What a field must hold, from net-snmp's printed value and the profile's declaration."""
    if spec.type == "str":
        # Strings are written trimmed of padding (some agents pad serials with spaces or NULs).
        return spec.enum[int(text)] if spec.enum else text.strip()
    if spec.type == "float":
        return pytest.approx(float(text) * (spec.scale or 1.0))
    return int(text)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def find(profiles: ProfileSet, profile: str, measurement: str, field: str) -> tuple[MetricSpec, FieldSpec]:
    for metric in profiles[profile].metrics:
        if metric.measurement == measurement:
            return metric, next(f for f in metric.fields if f.field == field)
    raise AssertionError(f"profile {profile} has no {measurement}.{field}")


@pytest.mark.parametrize("community", list(DEVICES))
async def test_recorded_device_reads_like_net_snmp(engine_name: str, snmpsim: Agent, community: str) -> None:
    expected_profile, checks = DEVICES[community]
    profiles = ProfileSet.load()
    poller = Poller(make_engine(engine_name), profiles)
    target = PollTarget(
        community, Endpoint(snmpsim.host, snmpsim.port, timeout_s=5), Credentials(community=community)
    )
    try:
        result = await poller.poll(target)
    finally:
        await poller.close()

    assert result.status.reachable, result.status.message
    assert result.status.profile == expected_profile
    by_measurement: dict[str, list[Sample]] = {}
    for sample in result.samples:
        by_measurement.setdefault(sample.measurement, []).append(sample)

    for measurement, field in checks:
        metric, spec = find(profiles, expected_profile, measurement, field)
        samples = by_measurement.get(measurement, [])
        assert samples, f"{community}: no {measurement} samples"
        if metric.is_table:
            column, scale = spec.oid, None
            truth = net_snmp_values("snmpbulkwalk", snmpsim, column, community=community)
            if not truth and spec.fallback is not None:  # the agent lacks the column: its fallback
                column, scale = spec.fallback.oid, spec.fallback.scale
                truth = net_snmp_values("snmpbulkwalk", snmpsim, column, community=community)
            assert truth, f"net-snmp read nothing under {spec.oid}"
            ours = {s.tags[metric.index_tag or ""]: s.fields[field] for s in samples if field in s.fields}
            theirs = {
                oid[len(column) + 1 :]: (
                    round(int(text) * scale) if scale is not None else expected_value(spec, text)
                )
                for oid, text in truth.items()
                if not (spec.missing_values and _number(text) in spec.missing_values)  # "no sensor"
            }
            assert ours == theirs, f"{community} {measurement}.{field}"
        else:
            truth = net_snmp_values("snmpget", snmpsim, spec.oid, community=community)
            assert samples[0].fields[field] == expected_value(spec, truth[spec.oid]), f"{community} {field}"
