"""`snmp_trap`: one point per SNMP trap received (collectors/traps/README.md, "What is produced")."""

from __future__ import annotations

from collectors.schema import FieldSchema, MeasurementSchema

SNMP_TRAP = MeasurementSchema.declare(
    "snmp_trap",
    tags=("source", "device", "role", "site", "agency", "name", "severity", "category", "vendor", "version"),
    fields=[
        FieldSchema("count", "int", description="always 1: sum it to count traps"),
        FieldSchema("trap_oid", "str", description="snmpTrapOID"),
        FieldSchema("message", "str", description="the rendered message"),
        FieldSchema("varbinds", "int", description="number of varbinds"),
    ],
    description="One point per trap; `name` is the mapping's event name or `unknown`.",
    source="trap receiver (collectors/traps)",
)

MEASUREMENTS = (SNMP_TRAP,)
