"""The measurement schema is built from the SNMP profiles and the other areas' declarations."""

from __future__ import annotations

import pytest

from collectors.schema import (
    INVENTORY_TAGS,
    FieldSchema,
    MeasurementSchema,
    Schema,
    SchemaError,
    build_schema,
)
from collectors.snmp.profile import ProfileSet

SCHEMA = build_schema()


def test_profiles_give_measurements_with_typed_fields_counters_and_label_tags() -> None:
    interface = SCHEMA["interface"]
    assert interface.fields["in_octets"].type == "int" and interface.fields["in_octets"].counter
    assert interface.fields["oper_status"].type == "str" and not interface.fields["oper_status"].counter
    assert {"ifIndex", "ifName", "ifAlias", "ifDescr"} <= interface.tags
    assert SCHEMA["snmp_system"].fields["uptime_s"].type == "float"


def test_every_profile_metric_is_in_the_schema_with_the_inventory_tags() -> None:
    for _profile, metric in ProfileSet.load().all_metrics():
        measurement = SCHEMA[metric.measurement]
        assert set(INVENTORY_TAGS) <= measurement.tags
        assert {f.field for f in metric.fields} <= set(measurement.fields)


def test_a_measurement_from_two_profiles_is_merged() -> None:
    battery = SCHEMA["ups_battery"]
    assert battery.sources == ("snmp profile apc", "snmp profile ups-mib")
    assert {"status", "charge_percent", "runtime_s", "temperature_celsius"} <= set(battery.fields)


def test_other_areas_declare_their_measurements() -> None:
    assert {"reachable", "duration_s", "spooled_bytes"} <= set(SCHEMA["collector"].fields)
    assert {"component", "instance", "device"} <= SCHEMA["collector"].tags
    assert SCHEMA["snmp_trap"].fields["count"].type == "int"
    assert {"severity", "category", "name"} <= SCHEMA["snmp_trap"].tags
    for name in ("linux_cpu", "linux_mem", "linux_disk", "linux_system", "linux_systemd"):
        assert set(INVENTORY_TAGS) <= SCHEMA[name].tags


def test_a_field_declared_with_two_types_is_refused() -> None:
    schema = Schema(
        [MeasurementSchema.declare("m", tags=["t"], fields=[FieldSchema("f", "int")], source="a")]
    )
    with pytest.raises(SchemaError, match=r"m\.f is int in a but float in b"):
        schema.add(MeasurementSchema.declare("m", tags=[], fields=[FieldSchema("f", "float")], source="b"))


def test_an_unknown_measurement_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nope"):
        SCHEMA["nope"]
