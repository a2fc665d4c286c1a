"""Names to small integers: measurements, their fields, and series.

A series is one measurement of one device about one entity: its identity is the measurement, the
`device` tag and every tag that is not an inventory tag (`ifIndex`, `ifName`, `storage` ...), as
InfluxDB would tell the series apart if role, site and agency were left out (a device that moves
to another site keeps its history). Field types come from the measurement schema when it declares
the field, else from the first value written, and never change afterwards (like InfluxDB).

The writer keeps the whole registry in memory, with each series' last values (for rates and
`/metrics/latest`); readers look names up in the database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from collectors.samples import FieldValue, Sample
from collectors.schema import INVENTORY_TAGS, Schema
from collectors.sinks.store.codec import FLOAT, INT

_INVENTORY = frozenset(INVENTORY_TAGS)
_SEPARATOR = "\x1f"
KIND_OF_TYPE = {"int": INT, "bool": INT, "float": FLOAT}  # "str": kept as the latest value only


def entity_of(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags that name the entity (everything but the inventory tags), sorted by key."""
    return {key: tags[key] for key in sorted(tags) if key not in _INVENTORY}


def entity_text(entity: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(entity.items())), ensure_ascii=False, separators=(",", ":"))


def type_of(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


@dataclass(eq=False)
class MeasurementInfo:
    id: int
    name: str
    index: dict[str, int] = field(default_factory=dict)  # field name -> index
    names: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    kinds: list[int] = field(default_factory=list)  # codec kind, -1 for text
    counter: list[bool] = field(default_factory=list)
    bits: list[int] = field(default_factory=list)
    slots: int = 0  # series so far


class SeriesState:
    """One series in the writer: ids, and per field its last (time, value, rate)."""

    __slots__ = ("device", "entity", "id", "last", "measurement", "slot")

    def __init__(self, id: int, measurement: MeasurementInfo, device: str, entity: str, slot: int) -> None:
        self.id = id
        self.measurement = measurement
        self.device = device
        self.entity = entity
        self.slot = slot
        self.last: list[object] = []  # 3 per field index: time_ns, value, rate (None when none)

    def remember(self, index: int, time_ns: int, value: object, rate: float | None) -> None:
        base = 3 * index
        if len(self.last) <= base:
            self.last.extend([None] * (base + 3 - len(self.last)))
        self.last[base] = time_ns
        self.last[base + 1] = value
        self.last[base + 2] = rate


class Registry:
    """The writer's registry. New names are inserted on the writer's connection, inside the
    transaction of the flush that first sees them."""

    def __init__(self, connection: sqlite3.Connection, schema: Schema | None) -> None:
        self.connection = connection
        self.schema = schema
        self.measurements: dict[str, MeasurementInfo] = {}
        self.by_id: dict[int, MeasurementInfo] = {}
        self.series: dict[int, SeriesState] = {}
        self._by_identity: dict[tuple[int, str, str], SeriesState] = {}
        self._fast: dict[str, SeriesState] = {}  # tags in the producer's order -> series
        self._load()

    def _load(self) -> None:
        c = self.connection
        for mid, name in c.execute("SELECT id, name FROM measurement"):
            info = MeasurementInfo(mid, name)
            self.measurements[name] = info
            self.by_id[mid] = info
        for mid, idx, name, type_ in c.execute(
            "SELECT measurement, idx, name, type FROM field ORDER BY 1, 2"
        ):
            self._add_field_info(self.by_id[mid], idx, name, type_)
        for sid, mid, device, entity, slot in c.execute(
            "SELECT id, measurement, device, entity, slot FROM series"
        ):
            info = self.by_id[mid]
            state = SeriesState(sid, info, device, entity, slot)
            self.series[sid] = state
            self._by_identity[(mid, device, entity)] = state
            info.slots = max(info.slots, slot + 1)

    def _add_field_info(self, info: MeasurementInfo, idx: int, name: str, type_: str) -> None:
        declared = None
        if self.schema is not None and info.name in self.schema:
            declared = self.schema[info.name].fields.get(name)
        info.index[name] = idx
        info.names.append(name)
        info.types.append(type_)
        info.kinds.append(KIND_OF_TYPE.get(type_, -1))
        info.counter.append(bool(declared and declared.counter) and type_ == "int")
        info.bits.append(declared.counter_bits if declared else 64)

    def measurement(self, name: str) -> MeasurementInfo:
        info = self.measurements.get(name)
        if info is None:
            cursor = self.connection.execute("INSERT INTO measurement (name) VALUES (?)", (name,))
            info = MeasurementInfo(int(cursor.lastrowid or 0), name)
            self.measurements[name] = info
            self.by_id[info.id] = info
        return info

    def add_field(self, info: MeasurementInfo, name: str, value: FieldValue, sample: Sample) -> int:
        """The index of a field seen for the first time; its type is the schema's, else the value's."""
        type_ = type_of(value)
        if self.schema is not None and info.name in self.schema:
            declared = self.schema[info.name].fields.get(name)
            if declared is not None:
                type_ = declared.type
        idx = len(info.names)
        self.connection.execute(
            "INSERT INTO field (measurement, idx, name, type) VALUES (?, ?, ?, ?)",
            (info.id, idx, name, type_),
        )
        self._add_field_info(info, idx, name, type_)
        if name in sample.counters and type_ == "int":
            info.counter[idx] = True  # a counter the schema does not know: the producer says so
        return idx

    def series_for(self, sample: Sample) -> SeriesState:
        tags = sample.tags
        key = sample.measurement + _SEPARATOR + _SEPARATOR.join(f"{k}={v}" for k, v in tags.items())
        found = self._fast.get(key)
        if found is not None:
            return found
        info = self.measurement(sample.measurement)
        device = tags.get("device", "")
        entity = entity_text(entity_of(tags))
        state = self._by_identity.get((info.id, device, entity))
        if state is None:
            cursor = self.connection.execute(
                "INSERT INTO series (measurement, device, entity, slot) VALUES (?, ?, ?, ?)",
                (info.id, device, entity, info.slots),
            )
            state = SeriesState(int(cursor.lastrowid or 0), info, device, entity, info.slots)
            info.slots += 1
            self.series[state.id] = state
            self._by_identity[(info.id, device, entity)] = state
        self._fast[key] = state
        return state
