"""The measurement schema: every measurement the collectors write, with its tags and typed fields.

One registry, built from data, that the dashboards are generated from and checked against, so a
query can never name a measurement, field or tag that no collector writes. Its sources:

- the SNMP profiles (`collectors/snmp/profiles/*.yaml`): measurement, index and label tags,
  fields with their declared type and counter flag;
- the tags every polled sample carries from the inventory (`INVENTORY_TAGS`);
- static declarations of what other parts write (`collectors/measurements/`): the `collector`
  status measurement, SNMP traps, SSH Linux metrics. A new area adds one module there and one
  line to `declarations()`.

A measurement written by several sources (`ups_battery` by the APC and UPS-MIB profiles,
`collector` by the poller and the sink) is merged; a field declared with two different types is
an error, because InfluxDB would refuse the second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from collectors.snmp.profile import ProfileSet

FieldType = Literal["int", "float", "str", "bool"]

# Tags the SNMP poller adds to every sample from the inventory (collectors/snmp/targets.py and
# poller.py): the device's name, its role, its site's name and its owner agency's name. Every other
# tag of a measurement names the entity a point is about (an interface, a disk, a sensor ...).
INVENTORY_TAGS: tuple[str, ...] = ("device", "role", "site", "agency")

# The device's uptime: when it goes back, the device restarted and its counters were reset (the
# poller's rule, collectors/snmp/poller.py). Rates read back from the store follow the same rule.
UPTIME: tuple[str, str] = ("snmp_system", "uptime_s")


class SchemaError(ValueError):
    """Two sources declare the same field with different types."""


@dataclass(frozen=True, slots=True)
class PercentOf:
    """The field reads as a percentage of `field` (same point) once multiplied by `scale`."""

    field: str
    scale: float = 1.0


def percent(value: float, base: float) -> float | None:
    """`value` in % of `base` (both in one unit), or None without a usable 100 % mark (0, unknown).
    The alert engine's `percent_of` rules and the metrics read path both use this."""
    if not base > 0:
        return None
    return value / base * 100.0


@dataclass(frozen=True, slots=True)
class FieldSchema:
    name: str
    type: FieldType
    counter: bool = False
    description: str = ""
    unit: str = ""  # of the value; a counter's rate is in unit/s
    counter_bits: int = 64  # Counter32 wraps at 2^32 (collectors/snmp/rates.py)
    percent_of: PercentOf | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float")

    @property
    def rate_unit(self) -> str:
        return f"{self.unit}/s" if self.unit else "/s"


@dataclass(frozen=True)
class MeasurementSchema:
    """One measurement: its tag keys and its fields by name."""

    name: str
    tags: frozenset[str]
    fields: Mapping[str, FieldSchema]
    description: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def declare(
        cls,
        name: str,
        *,
        tags: Iterable[str],
        fields: Iterable[FieldSchema],
        description: str = "",
        source: str,
    ) -> MeasurementSchema:
        return cls(name, frozenset(tags), {f.name: f for f in fields}, description, (source,))

    @property
    def entity_tags(self) -> tuple[str, ...]:
        """The tags that tell this measurement's points about one device apart (ifIndex, ifName ...)."""
        return tuple(sorted(self.tags - set(INVENTORY_TAGS)))

    def merged(self, other: MeasurementSchema) -> MeasurementSchema:
        fields = dict(self.fields)
        for name, spec in other.fields.items():
            known = fields.get(name)
            if known is not None and known.type != spec.type:
                raise SchemaError(
                    f"{self.name}.{name} is {known.type} in {', '.join(self.sources)} "
                    f"but {spec.type} in {', '.join(other.sources)}"
                )
            if known is None:
                fields[name] = spec
        sources = self.sources + tuple(s for s in other.sources if s not in self.sources)
        return MeasurementSchema(
            self.name, self.tags | other.tags, fields, self.description or other.description, sources
        )


class Schema:
    """Every measurement by name."""

    def __init__(self, measurements: Iterable[MeasurementSchema] = ()) -> None:
        self.measurements: dict[str, MeasurementSchema] = {}
        for measurement in measurements:
            self.add(measurement)

    def add(self, measurement: MeasurementSchema) -> None:
        known = self.measurements.get(measurement.name)
        self.measurements[measurement.name] = known.merged(measurement) if known else measurement

    def __contains__(self, name: object) -> bool:
        return name in self.measurements

    def __getitem__(self, name: str) -> MeasurementSchema:
        try:
            return self.measurements[name]
        except KeyError:
            raise KeyError(f"no measurement {name!r} in the schema") from None

    def __iter__(self) -> Iterator[MeasurementSchema]:
        return iter(sorted(self.measurements.values(), key=lambda m: m.name))


def snmp_measurements(profiles: ProfileSet) -> list[MeasurementSchema]:
    """What the SNMP poller writes for every metric of every profile."""
    found: list[MeasurementSchema] = []
    for profile_name, metric in profiles.all_metrics():
        tags = set(INVENTORY_TAGS)
        if metric.index_tag:
            tags.add(metric.index_tag)
        tags.update(tag.tag for tag in metric.tags)
        fields = [
            FieldSchema(
                spec.field,
                spec.type,
                spec.counter,
                spec.description or spec.mib_name,
                unit=spec.unit,
                counter_bits=spec.counter_bits,
                percent_of=(
                    PercentOf(spec.percent_of.field, spec.percent_of.scale) if spec.percent_of else None
                ),
            )
            for spec in metric.fields
        ]
        found.append(
            MeasurementSchema.declare(
                metric.measurement,
                tags=tags,
                fields=fields,
                description=metric.description,
                source=f"snmp profile {profile_name}",
            )
        )
    return found


def declarations() -> list[MeasurementSchema]:
    """Measurements declared by hand: what is not described by SNMP profiles. One line per area."""
    # Imported here because the declaration modules build on this module's classes.
    from collectors.measurements import ssh_linux, status, traps

    return [*status.MEASUREMENTS, *traps.MEASUREMENTS, *ssh_linux.MEASUREMENTS]


def build_schema(profiles: ProfileSet | None = None) -> Schema:
    """The schema of everything the collectors write: SNMP profiles plus the static declarations."""
    profiles = profiles if profiles is not None else ProfileSet.load()
    return Schema([*snmp_measurements(profiles), *declarations()])
