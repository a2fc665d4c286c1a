"""SNMP engines behind `collectors.snmp.engine.Engine`, chosen by name.

snmpkit is the default: it passes the same conformance suite as pysnmp (v1, v2c, v3 with
SHA/SHA-256 and AES-128/256, every recording in tests/snmp) and used about 18x less CPU per
varbind in bench/snmp (collectors/snmp/README.md, "Engines"). pysnmp stays the reference and
the fallback when snmpkit cannot be imported; choose it with EAMS_SNMP_ENGINE=pysnmp or
`eams snmp poll --engine pysnmp`.
"""

from __future__ import annotations

from collectors.snmp.engine import Engine

ENGINE_NAMES = ("pysnmp", "snmpkit")


def _snmpkit_available() -> bool:
    from collectors.snmp.engines.snmpkit_engine import available

    return available()


DEFAULT_ENGINE = "snmpkit" if _snmpkit_available() else "pysnmp"


def make_engine(name: str = DEFAULT_ENGINE) -> Engine:
    if name == "pysnmp":
        from collectors.snmp.engines.pysnmp_engine import PysnmpEngine

        return PysnmpEngine()
    if name == "snmpkit":
        from collectors.snmp.engines.snmpkit_engine import SnmpkitEngine

        if not _snmpkit_available():
            raise ValueError("the snmpkit engine needs the snmpkit package (pip install snmpkit)")
        return SnmpkitEngine()
    raise ValueError(f"unknown SNMP engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
