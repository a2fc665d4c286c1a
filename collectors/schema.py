"""The measurement schema: every measurement the collectors write, with its tags and typed fields.

One registry, built from data, that the dashboards are generated from and checked against, so a
query can never name a measurement, field or tag that no collector writes. Its sources:

- the SNMP profiles (`collectors/snmp/profiles/*.yaml`): measurement, index and label tags,
  fields with their declared type, counter flag, meaning and unit (`collectors/meanings.yaml`),
  and the percentages the poller derives;
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
from dataclasses import dataclass, field, replace
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
    # Counter32 wraps at 2^32 (collectors/snmp/rates.py); a field that may be read from a 32-bit
    # fallback column (ifInOctets for ifHCInOctets) wraps at 32 bits.
    counter_bits: int = 64
    percent_of: PercentOf | None = None
    # What the value is (collectors/meanings.yaml): dashboards and shipped alert rules are derived
    # from meanings. None for declared measurements that have none.
    meaning: str | None = None
    failed_values: tuple[str, ...] = ()  # state meanings: the values that mean failure

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
    # The tags that tell one row from another (labels first, then the index): one alert each.
    entity_tags: tuple[str, ...] = ()

    @classmethod
    def declare(
        cls,
        name: str,
        *,
        tags: Iterable[str],
        fields: Iterable[FieldSchema],
        description: str = "",
        source: str,
        entity_tags: Iterable[str] = (),
    ) -> MeasurementSchema:
        return cls(
            name, frozenset(tags), {f.name: f for f in fields}, description, (source,), tuple(entity_tags)
        )

    @property
    def series_tags(self) -> tuple[str, ...]:
        """Every tag that tells this measurement's series about one device apart (ifIndex, ifName ...):
        what a query groups by. `entity_tags` is the ordered subset that names one alert's entity."""
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
            elif spec.failed_values and set(spec.failed_values) - set(known.failed_values):
                # Two profiles' enums for one field: a failure in either is a failure.
                merged = (
                    *known.failed_values,
                    *(v for v in spec.failed_values if v not in known.failed_values),
                )
                fields[name] = replace(known, failed_values=merged)
        sources = self.sources + tuple(s for s in other.sources if s not in self.sources)
        return MeasurementSchema(
            self.name,
            self.tags | other.tags,
            fields,
            self.description or other.description,
            sources,
            self.entity_tags or other.entity_tags,
        )

    def with_meaning(self, meaning: str) -> FieldSchema | None:
        """The field of this meaning that dashboards chart and rules alert on: the first declared."""
        return next((f for f in self.fields.values() if f.meaning == meaning), None)


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

    def by_meaning(
        self, meaning: str, *, every_field: bool = False
    ) -> list[tuple[MeasurementSchema, FieldSchema]]:
        """Every measurement that writes this meaning, with the field that carries it (the first
        declared), by name; with `every_field`, each field of that meaning (failed fans, failed
        disks ... in one measurement)."""
        found: list[tuple[MeasurementSchema, FieldSchema]] = []
        for measurement in self:
            if every_field:
                found.extend((measurement, f) for f in measurement.fields.values() if f.meaning == meaning)
                continue
            spec = measurement.with_meaning(meaning)
            if spec is not None:
                found.append((measurement, spec))
        return found

    def meanings(self) -> set[str]:
        return {f.meaning for m in self.measurements.values() for f in m.fields.values() if f.meaning}


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
                counter_bits=spec.wrap_bits,
                percent_of=(
                    PercentOf(spec.percent_of.field, spec.percent_of.scale) if spec.percent_of else None
                ),
                meaning=spec.meaning,
                failed_values=tuple(spec.failed_values),
            )
            for spec in metric.fields
        ]
        fields.extend(
            FieldSchema(
                d.field,
                "float",
                False,
                d.description or "derived percentage",
                unit=d.unit,
                meaning=d.meaning,
            )
            for d in metric.derived
        )
        entity = [tag.tag for tag in metric.tags][:1]  # the first label names the row
        if not entity and metric.index_tag:
            entity = [metric.index_tag]
        found.append(
            MeasurementSchema.declare(
                metric.measurement,
                tags=tags,
                fields=fields,
                description=metric.description,
                source=f"snmp profile {profile_name}",
                entity_tags=entity,
            )
        )
    return found


def declarations() -> list[MeasurementSchema]:
    """Measurements declared by hand: what is not described by SNMP profiles. One line per area."""
    # Imported here because the declaration modules build on this module's classes.
    from collectors.measurements import ssh_linux, status, syslog, traps

    return [*status.MEASUREMENTS, *traps.MEASUREMENTS, *ssh_linux.MEASUREMENTS, *syslog.MEASUREMENTS]


def build_schema(profiles: ProfileSet | None = None) -> Schema:
    """The schema of everything the collectors write: SNMP profiles plus the static declarations."""
    profiles = profiles if profiles is not None else ProfileSet.load()
    return Schema([*snmp_measurements(profiles), *declarations()])
