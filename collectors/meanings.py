"""The closed vocabulary of field meanings (`meanings.yaml`) and of units.

Every SNMP profile field names one meaning and one unit; `collectors/schema.py` carries both into
the measurement schema, and the dashboards and shipped alert rules are derived from them (a CPU
panel is every field whose meaning is `cpu_percent`, whatever the vendor calls it).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MEANINGS_FILE = Path(__file__).with_name("meanings.yaml")

Kind = Literal["gauge", "counter", "state", "identity", "info"]

# Every unit a field may declare, spelt as the measurement schema's `unit` (what the metrics API
# shows; a counter's rate is in unit/s). `units`: HOST-RESOURCES allocation units, multiplied by
# the row's allocation unit; `sensor_units`: ENTITY-SENSOR, the unit is in the sensor_type tag;
# `state` and `none`: text fields.
UNITS: dict[str, str] = {
    "%": "percent",
    "°C": "celsius",
    "rpm": "rotrpm",
    "W": "watt",
    "V": "volt",
    "A": "amp",
    "Hz": "hertz",
    "s": "s",
    "d": "d",
    "B": "bytes",
    "KiB": "kbytes",
    "MiB": "mbytes",
    "units": "short",
    "packets": "short",
    "bit/s": "bps",
    "Mbit/s": "Mbits",
    "ticks": "short",
    "count": "short",
    "sensor_units": "short",
    "state": "",
    "none": "",
}
"""unit -> the Grafana unit id its panels use ("" for text)."""


class Meaning(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    kind: Kind
    units: list[str] = Field(min_length=1)
    failed: bool = Field(False, description="state meanings whose profiles list failed_values")
    en: str
    vi: str

    @property
    def unit(self) -> str:
        """The preferred unit."""
        return self.units[0]


class VocabularyError(ValueError):
    pass


@cache
def vocabulary(path: Path = MEANINGS_FILE) -> dict[str, Meaning]:
    """meaning name -> Meaning, validated (units from UNITS, state meanings in state units)."""
    document = yaml.load(
        path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    found: dict[str, Meaning] = {}
    for name, body in (document or {}).get("meanings", {}).items():
        try:
            meaning = Meaning.model_validate({**body, "name": name})
        except ValidationError as exc:
            raise VocabularyError(f"{path.name}: {name}: {exc.errors()[0]['msg']}") from None
        unknown = [u for u in meaning.units if u not in UNITS]
        if unknown:
            raise VocabularyError(f"{path.name}: {name}: unknown unit(s) {', '.join(unknown)}")
        if meaning.failed and meaning.kind != "state":
            raise VocabularyError(f"{path.name}: {name}: only a state meaning can list failed values")
        found[name] = meaning
    return found
