"""Profiles are data: they load, validate with errors naming file and key, are chosen by the
longest sysObjectID prefix, and never give one field two types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from collectors.schema import snmp_measurements
from collectors.snmp.profile import PROFILES_DIR, ProfileError, ProfileSet

REQUIRED = [
    "generic",
    "mib2-interfaces",
    "host-resources",
    "net-snmp-linux",
    "entity",
    "entity-sensor",
    "cisco",
    "juniper",
    "fortigate",
    "paloalto",
    "huawei",
    "h3c",
    "apc",
    "ups-mib",
]


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text)


GENERIC = """
name: generic
metrics:
  - measurement: snmp_system
    fields:
      - {field: uptime_s, oid: 1.3.6.1.2.1.1.3.0, mib_name: sysUpTime, type: float, scale: 0.01,
         meaning: uptime, unit: s}
"""


def test_every_shipped_profile_loads_and_the_required_ones_exist() -> None:
    profiles = ProfileSet.load()
    assert set(REQUIRED) <= set(profiles.profiles)
    cisco = profiles["cisco"]
    assert cisco.sources == ("mib2-system", "mib2-interfaces", "generic", "entity", "entity-sensor", "cisco")
    assert "1.3.6.1.2.1.31.1.1.1.6" in cisco.column_oids  # ifHCInOctets through generic


def test_choice_is_by_longest_sys_object_id_prefix_then_sys_descr(tmp_path: Path) -> None:
    write(tmp_path, "generic", GENERIC)
    write(tmp_path, "vendor", "name: vendor\ninclude: [generic]\nmatch: {sys_object_id: [1.3.6.1.4.1.9]}\n")
    write(
        tmp_path,
        "vendor-model",
        "name: vendor-model\ninclude: [vendor]\nmatch: {sys_object_id: [1.3.6.1.4.1.9.1.617]}\n",
    )
    write(tmp_path, "by-descr", "name: by-descr\ninclude: [generic]\nmatch: {sys_descr: ['^Acme OS']}\n")
    profiles = ProfileSet.load(tmp_path)
    assert profiles.choose("1.3.6.1.4.1.9.1.617", None).name == "vendor-model"
    assert profiles.choose("1.3.6.1.4.1.9.1.6170", None).name == "vendor"  # a prefix ends at a dot
    assert profiles.choose("1.3.6.1.4.1.99", "Acme OS 4.2").name == "by-descr"
    assert profiles.choose("1.3.6.1.4.1.99", "something else").name == "generic"
    assert profiles["vendor-model"].scalar_oids == ["1.3.6.1.2.1.1.3.0"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: rx, oid: 1.3.6.1.2.1.1.3.0, mib_name: x, type: float, counter: true,"
            " meaning: rx_octets, unit: B}\n",
            r"broken.yaml: metrics.\[m\].fields.\[rx\]: .*counter field must have type int",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: rx, oid: ifInOctets, mib_name: x, type: int, meaning: rx_octets, unit: B,"
            " counter: true}\n",
            r"broken.yaml: metrics.\[m\].fields.\[rx\].oid: .*not a numeric OID",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: st, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: str, enum: {7: off},"
            " meaning: oper_state, unit: state}\n",
            r"broken.yaml: metrics.\[m\].fields.\[st\].enum.7: .*valid string",  # YAML's `off` is false
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: t, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: int}\n",
            r"broken.yaml: metrics.\[m\].fields.\[t\].meaning: Field required; .*unit: Field required",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: t, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: int,"
            " meaning: hotness, unit: °C}\n",
            r"broken.yaml: metrics.\[m\].fields.\[t\]: .*meaning 'hotness' is not in collectors/meanings",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: t, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: int,"
            " meaning: temperature_c, unit: rpm}\n",
            r"broken.yaml: .*meaning 'temperature_c' is written in °C, not 'rpm'",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: p, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: str,"
            " meaning: psu_state, unit: state,"
            " enum: {1: ok, 2: failed}}\n",
            r"broken.yaml: .*needs failed_values",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: a, oid: 1.3.6.1.2.1.1.7.0, mib_name: x, type: int,"
            " meaning: memory_used, unit: B}\n"
            "    derived:\n      - {field: p, meaning: memory_used_percent, used: [a], free: [b]}\n",
            r"broken.yaml: metrics.\[m\]: .*derived 'p' reads unknown field\(s\) b",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: rx, oid: 1.3.6.1.2.1.2.2.1.10, mib_name: x, type: int, counter: true,"
            " meaning: rx_octets, unit: B}\n",
            r"broken.yaml: metrics.\[m\].fields.\[rx\]: .*counter field must declare counter_bits",
        ),
        (
            "name: broken\nmetrics:\n  - measurement: m\n    fields:\n"
            "      - {field: rx, oid: 1.3.6.1.2.1.31.1.1.1.6, mib_name: x, type: int, counter: true,"
            " counter_bits: 64, meaning: rx_octets, unit: B,"
            " fallback: {oid: 1.3.6.1.2.1.2.2.1.10, mib_name: ifInOctets}}\n",
            r"broken.yaml: metrics.\[m\].fields.\[rx\]: .*fallback of a counter must declare counter_bits",
        ),
        ("name: broken\ninclude: [nowhere]\n", r"broken.yaml: include: no profile named 'nowhere'"),
        (
            "name: broken\ninclude: [generic]\nwithout: [snmp_system.nothing]\n",
            r"broken.yaml: without: no snmp_system.nothing",
        ),
        ("name: other\n", r"broken.yaml: name 'other' must equal the file name 'broken'"),
        (
            "name: broken\nmatch: {sys_descr: ['(unclosed']}\n",
            r"broken.yaml: match.sys_descr: .*regular expression",
        ),
    ],
)
def test_a_broken_profile_is_an_error_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "generic", GENERIC)
    write(tmp_path, "broken", text)
    with pytest.raises(ProfileError, match=message):
        ProfileSet.load(tmp_path)


def test_a_field_has_one_type_in_every_profile() -> None:
    """InfluxDB rejects a field whose type changes, so e.g. ups_battery.charge_percent must be
    an int whether an APC or an Eaton UPS wrote it."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for name, metric in ProfileSet.load().all_metrics():
        for spec in metric.fields:
            key = (metric.measurement, spec.field)
            first = seen.setdefault(key, (spec.type, name))
            assert first[0] == spec.type, f"{key} is {first[0]} in {first[1]} but {spec.type} in {name}"


def test_the_schema_document_lists_every_measurement_and_field() -> None:
    readme = (PROFILES_DIR.parent.parent / "README.md").read_text()
    sections = dict(re.findall(r"^### `(\w+)`\n(.*?)(?=^### |\Z)", readme, flags=re.M | re.S))
    for _name, metric in ProfileSet.load().all_metrics():
        assert metric.measurement in sections, f"collectors/README.md does not document {metric.measurement}"
        section = sections[metric.measurement]
        for spec in [*metric.fields, *metric.derived]:
            assert f"`{spec.field}`" in section, f"{metric.measurement}.{spec.field} is not documented"
            assert f"`{spec.meaning}`" in section, (
                f"{metric.measurement}.{spec.field}: meaning not documented"
            )
        for tag in metric.tags:
            assert f"`{tag.tag}`" in section, f"tag {tag.tag} of {metric.measurement} is not documented"
        assert f"\n{metric.measurement}," in section, f"{metric.measurement} has no example line"
    assert "### `collector`" in readme


def test_every_profile_field_has_a_meaning_and_a_unit_from_the_vocabulary() -> None:
    """Dashboards and the shipped rules are derived from meanings: a field without one would be
    written but never charted or alerted on. The loader refuses such a profile; this checks the
    shipped ones field by field, derived percentages included."""
    from collectors.meanings import vocabulary

    known = vocabulary()
    for name, metric in ProfileSet.load().all_metrics():
        for spec in [*metric.fields, *metric.derived]:
            where = f"{name}: {metric.measurement}.{spec.field}"
            assert spec.meaning in known, f"{where} has no known meaning"
            assert spec.unit in known[spec.meaning].units, (
                f"{where}: {spec.unit} is not a unit of {spec.meaning}"
            )


def test_fallback_profiles_reach_every_device_whatever_its_profile() -> None:
    profiles = ProfileSet.load()
    assert set(profiles.fallbacks) == {"host-resources", "entity-sensor", "ups-mib", "synology"}
    for profile in profiles.profiles.values():
        measurements = {m.measurement for m in profile.metrics}
        assert {"host_cpu", "host_storage", "entity_sensor"} <= measurements, profile.name
    # Probed only where the profile did not ask for them itself.
    assert "host_cpu" in profiles["cisco"].probed and "entity_sensor" not in profiles["cisco"].probed
    assert "host_cpu" not in profiles["net-snmp-linux"].probed
    # 32-bit counters stand in for the 64-bit ones on agents without ifXTable.
    fallback = profiles["generic"].fallback_columns["1.3.6.1.2.1.31.1.1.1.6"]
    assert (fallback.oid, fallback.mib_name) == ("1.3.6.1.2.1.2.2.1.10", "ifInOctets")


def test_without_drops_a_field_an_included_profile_reads_worse() -> None:
    linux = ProfileSet.load()["net-snmp-linux"]
    storage = next(m for m in linux.metrics if m.measurement == "host_storage")
    assert [d.field for d in storage.derived] == ["used_percent"]  # memory comes from ucd_memory


def test_the_choice_says_why() -> None:
    profiles = ProfileSet.load()
    by_oid = profiles.choice("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software")
    assert (by_oid.profile, by_oid.by, by_oid.matched) == ("cisco", "sys_object_id", "1.3.6.1.4.1.9")
    assert by_oid.explain() == "sysObjectID starts with 1.3.6.1.4.1.9"
    by_descr = profiles.choice("1.3.6.1.4.1.99999", "Linux box 6.1")
    assert (by_descr.profile, by_descr.by, by_descr.matched) == ("net-snmp-linux", "sys_descr", "^Linux ")
    assert profiles.choice(None, "something").by == "default"
    # A Cisco ASA shares Cisco's prefix: cisco-asa refines cisco by sysDescr.
    asa = profiles.choice("1.3.6.1.4.1.9.1.745", "Cisco Adaptive Security Appliance Version 9.8(2)")
    assert (asa.profile, asa.by) == ("cisco-asa", "sys_descr")
    assert profiles.choice("1.3.6.1.4.1.9.1.745", "Cisco IOS Software, C3560").profile == "cisco"


def test_every_counter_field_of_every_shipped_profile_declares_its_width() -> None:
    """Counter32 or Counter64 is the MIB's, never a default: the read path wraps a Counter32 that
    goes down, and reads a Counter64 that goes down as a reset (collectors/snmp/rates.py)."""
    lacking = []
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for metric in data.get("metrics", []):
            for field in metric["fields"]:
                if not field.get("counter"):
                    continue
                if field.get("counter_bits") not in (32, 64):
                    lacking.append(f"{path.name}: {metric['measurement']}.{field['field']}")
                fallback = field.get("fallback")
                if fallback and fallback.get("counter_bits") not in (32, 64):
                    lacking.append(f"{path.name}: {metric['measurement']}.{field['field']} (fallback)")
    assert not lacking, "counter fields without counter_bits: " + ", ".join(lacking)


def test_the_schema_wraps_a_counter_at_the_narrowest_width_it_may_be_read_at() -> None:
    """ifHCInOctets is a Counter64, but a device without ifXTable answers its 32-bit fallback
    ifInOctets under the same field: its rates must survive a 2^32 wrap."""
    schema = snmp_measurements(ProfileSet.load())
    interface = next(m for m in schema if m.name == "interface")
    assert interface.fields["in_octets"].counter_bits == 32
    assert interface.fields["in_errors"].counter_bits == 32
    fortigate_vpn = next(m for m in schema if m.name == "fortigate_vpn_tunnel")
    assert fortigate_vpn.fields["in_octets"].counter_bits == 64
