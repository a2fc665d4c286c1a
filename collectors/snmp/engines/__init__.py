"""SNMP engines behind `collectors.snmp.engine.Engine`, chosen by name."""

from __future__ import annotations

from collectors.snmp.engine import Engine

ENGINE_NAMES = ("pysnmp", "snmpkit")
# See collectors/snmp/README.md, "Engines", for why this one is the default.
DEFAULT_ENGINE = "pysnmp"


def make_engine(name: str = DEFAULT_ENGINE) -> Engine:
    if name == "pysnmp":
        from collectors.snmp.engines.pysnmp_engine import PysnmpEngine

        return PysnmpEngine()
    if name == "snmpkit":
        from collectors.snmp.engines.snmpkit_engine import SnmpkitEngine, available

        if not available():
            raise ValueError("the snmpkit engine needs the snmpkit package (pip install snmpkit)")
        return SnmpkitEngine()
    raise ValueError(f"unknown SNMP engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
