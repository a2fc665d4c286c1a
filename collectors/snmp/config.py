"""Settings of the in-service SNMP poller: the `snmp` section of the service's settings tree
(`EAMS_SNMP_POLLING`, `EAMS_SNMP_ENGINE`, `EAMS_SNMP_INTERVAL_S`, or `snmp:` in the EAMS_CONFIG file)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from collectors.snmp.engines import DEFAULT_ENGINE, ENGINE_NAMES


class SnmpConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    polling: bool = Field(True, description="Poll the inventory's devices in the service (off: not at all)")
    engine: str = Field(DEFAULT_ENGINE, description="SNMP engine: snmpkit (default) or pysnmp (reference)")
    interval_s: float = Field(60.0, ge=1, allow_inf_nan=False, description="Seconds between two polls")

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, name: str) -> str:
        if name not in ENGINE_NAMES:
            raise ValueError(f"unknown SNMP engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
        return name
