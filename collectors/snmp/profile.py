"""Device profiles: YAML data saying what to read from a kind of device and what it becomes.

A profile is chosen by the longest sysObjectID prefix among `match.sys_object_id`, else by the
first `match.sys_descr` regular expression that matches, else the `generic` profile. A profile may
`include` others (generic MIB-2, HOST-RESOURCES, ENTITY ...); its metrics are the union.

Every field declares its `type` (int, float, str, bool), which never changes: InfluxDB rejects a
field whose type changes, so the type is data, not a guess from what an agent happened to send.
Every field also declares its `meaning` and `unit`, from the closed vocabulary of
`collectors/meanings.yaml`: dashboards and shipped alert rules are derived from meanings.

Profiles marked `fallback: true` (HOST-RESOURCES, ENTITY-SENSOR) are read on every device, whatever
its profile, as long as the agent answers them: the poller probes them and stops asking a device
that has none until the next index refresh. A table field may name a `fallback` column, read when
the agent has no rows in the first (32-bit ifInOctets where ifXTable's ifHCInOctets is missing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collectors.meanings import vocabulary

PROFILES_DIR = Path(__file__).parent / "profiles"
# libyaml's safe loader when PyYAML was built with it: 30 profiles load several times faster,
# which the service's start-up (poller and alert rules both read them) feels.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
GENERIC = "generic"

_OID = re.compile(r"^\d+(\.\d+)+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ProfileError(ValueError):
    """A profile file is broken; the message names the file and the key."""


def _oid(value: str) -> str:
    value = str(value).strip().lstrip(".")
    if not _OID.match(value):
        raise ValueError(f"{value!r} is not a numeric OID such as 1.3.6.1.2.1.1.3.0")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PercentOf(_Strict):
    """Where a field reads as a percentage: of another field of the same point (the 100 % mark)."""

    field: str = Field(description="the field that holds the 100 % mark (ifHighSpeed, hrStorageSize)")
    scale: float = Field(
        1.0, gt=0, description="this field's value (its rate, for a counter) x scale is in that field's unit"
    )


def _meaning_and_unit(meaning: str, unit: str) -> None:
    known = vocabulary()
    if meaning not in known:
        raise ValueError(f"meaning {meaning!r} is not in collectors/meanings.yaml")
    if unit not in known[meaning].units:
        raise ValueError(f"meaning {meaning!r} is written in {', '.join(known[meaning].units)}, not {unit!r}")


class FallbackSpec(_Strict):
    """A column read instead of the field's own when the agent has no rows in the field's own."""

    oid: str
    mib_name: str
    scale: float | None = Field(None, description="multiply the fallback's number by this")
    counter_bits: Literal[32, 64] | None = Field(
        None, description="for a counter: Counter32 or Counter64 in the MIB (ifInOctets: 32)"
    )

    _check_oid = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class FieldSpec(_Strict):
    """One value read from the agent and written as a field."""

    field: str = Field(description="field name in the measurement")
    oid: str = Field(description="numeric OID: the instance (…​.0) for scalars, the column for tables")
    mib_name: str = Field(description="the MIB object's name, for people")
    type: Literal["int", "float", "str", "bool"]
    meaning: str = Field(description="what the value is, from collectors/meanings.yaml")
    unit: str = Field(description="its unit (of the rate: unit/s), one the meaning allows: B, %, Mbit/s ...")
    counter: bool = Field(False, description="monotonic counter: kept raw, and a per-second rate derived")
    counter_bits: Literal[32, 64] | None = Field(
        None,
        description="for a counter, required: Counter32 or Counter64 in the MIB (a Counter32 that goes "
        "down has wrapped; a Counter64 that goes down was reset)",
    )
    percent_of: PercentOf | None = Field(None, description="reads as a utilisation of another field")
    scale: float | None = Field(None, description="multiply the raw number by this (float fields only)")
    enum: dict[int, str] | None = Field(None, description="integer -> text (type must be str)")
    failed_values: list[str] = Field(
        default_factory=list, description="enum texts that mean failure (state meanings that alert)"
    )
    fallback: FallbackSpec | None = Field(None, description="tables: column read when this one is empty")
    missing_values: list[int] = Field(
        default_factory=list, description="raw numbers that mean 'no reading' (65535: no sensor)"
    )
    description: str = ""

    _check_oid = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))

    @field_validator("field")
    @classmethod
    def _field_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("field names are lower_snake_case")
        return value

    @property
    def wrap_bits(self) -> int:
        """The narrowest width this field's values may have been read at (its own column's, or
        its fallback's): the read path wraps a counter that goes down at that width."""
        widths = [self.counter_bits or 64]
        if self.fallback is not None and self.fallback.counter_bits is not None:
            widths.append(self.fallback.counter_bits)
        return min(widths)

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.counter and self.type != "int":
            raise ValueError("a counter field must have type int (counters are whole numbers)")
        if self.scale is not None and self.type != "float":
            raise ValueError("a scaled field must have type float")
        if self.enum is not None and self.type != "str":
            raise ValueError("an enum field must have type str")
        if self.counter_bits is not None and not self.counter:
            raise ValueError("counter_bits is for counter fields")
        # The width is the MIB's, never a default: a wrong one turns a wrap into a lost point
        # (64 for a Counter32) or a reset into a spike (32 for a Counter64).
        if self.counter and self.counter_bits is None:
            raise ValueError("a counter field must declare counter_bits (32 or 64, as its MIB says)")
        if self.fallback is not None and self.counter and self.fallback.counter_bits is None:
            raise ValueError("the fallback of a counter must declare counter_bits (32 or 64)")
        if self.fallback is not None and not self.counter and self.fallback.counter_bits is not None:
            raise ValueError("counter_bits is for counter fields")
        if self.percent_of is not None and self.type not in ("int", "float"):
            raise ValueError("only a numeric field can read as a percentage")
        _meaning_and_unit(self.meaning, self.unit)
        meaning = vocabulary()[self.meaning]
        if (meaning.kind == "counter") != self.counter:
            raise ValueError(
                f"meaning {self.meaning!r} is a {meaning.kind}: counter must be {not self.counter}"
            )
        if meaning.failed and self.enum is not None and not self.failed_values:
            raise ValueError(
                f"meaning {self.meaning!r} needs failed_values: the enum texts that mean failure"
            )
        unknown = [v for v in self.failed_values if v not in (self.enum or {}).values()]
        if unknown:
            raise ValueError(f"failed_values {', '.join(unknown)} are not among the enum's texts")
        return self


class DerivedPercent(_Strict):
    """A percentage the poller computes from other fields of the same point: used / total x 100,
    where a missing `used` is total - free and a missing `total` is used + free (each the sum of
    the fields listed). `when` limits it to rows whose tags have one of the values given."""

    field: str
    meaning: str
    unit: Literal["%"] = "%"
    used: list[str] = Field(default_factory=list)
    free: list[str] = Field(default_factory=list)
    total: list[str] = Field(default_factory=list)
    when: dict[str, list[str]] = Field(default_factory=dict)
    description: str = ""

    @model_validator(mode="after")
    def _two_of_three(self) -> DerivedPercent:
        if sum(bool(part) for part in (self.used, self.free, self.total)) < 2:
            raise ValueError("a derived percentage needs two of used, free and total")
        _meaning_and_unit(self.meaning, self.unit)
        return self

    @property
    def inputs(self) -> list[str]:
        return [*self.used, *self.free, *self.total]


class TagSpec(_Strict):
    """A label read from the agent (an index column such as ifName) and written as a tag."""

    tag: str
    oid: str
    mib_name: str
    enum: dict[str, str] | None = Field(None, description="raw value (number or OID) -> text")
    fallback_tag: str | None = Field(
        None, description="another tag of the metric whose label is used when this one has none"
    )

    _check_oid = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class MetricSpec(_Strict):
    """One measurement: scalars (one point per poll) or a table (one point per row)."""

    measurement: str
    description: str = ""
    table: str | None = Field(None, description="the table's numeric OID, for people and docs")
    index_tag: str | None = Field(
        None, description="for tables: the tag that carries the row index (ifIndex ...)"
    )
    tags: list[TagSpec] = Field(default_factory=list, description="for tables: label columns (cached)")
    fields: list[FieldSpec]
    derived: list[DerivedPercent] = Field(default_factory=list, description="percentages computed")

    @field_validator("measurement")
    @classmethod
    def _measurement_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("measurement names are lower_snake_case")
        return value

    @model_validator(mode="after")
    def _table_or_scalars(self) -> MetricSpec:
        if not self.fields:
            raise ValueError("a metric needs at least one field")
        if self.is_table and self.tags == [] and self.index_tag is None:
            raise ValueError("a table metric needs index_tag or tags to tell its rows apart")
        if not self.is_table:
            if self.tags:
                raise ValueError("scalar metrics take no tags (only tables have index labels)")
            for spec in self.fields:
                if not spec.oid.endswith(".0"):
                    raise ValueError(f"scalar field {spec.field!r} needs an instance OID ending in .0")
        names = [f.field for f in self.fields] + [d.field for d in self.derived]
        if len(set(names)) != len(names):
            raise ValueError(f"field names repeat in measurement {self.measurement!r}")
        for spec in self.fields:
            if spec.percent_of is not None and spec.percent_of.field not in names:
                raise ValueError(
                    f"field {spec.field!r}: percent_of names {spec.percent_of.field!r}, not a field here"
                )
        tag_names = {t.tag for t in self.tags}
        for tag in self.tags:
            if tag.fallback_tag is not None and tag.fallback_tag not in tag_names:
                raise ValueError(f"tag {tag.tag!r}: fallback_tag {tag.fallback_tag!r} is not a tag here")
        for derived in self.derived:
            missing = [name for name in derived.inputs if name not in names]
            if missing:
                raise ValueError(f"derived {derived.field!r} reads unknown field(s) {', '.join(missing)}")
            if any(tag not in tag_names for tag in derived.when):
                raise ValueError(f"derived {derived.field!r}: when names a tag this metric has not")
        if not self.is_table and any(f.fallback for f in self.fields):
            raise ValueError("only table fields take a fallback column")
        return self

    @property
    def is_table(self) -> bool:
        return self.table is not None


class Match(_Strict):
    sys_object_id: list[str] = Field(default_factory=list)
    sys_descr: list[str] = Field(default_factory=list)
    refines: str | None = Field(
        None,
        description="chosen instead of this profile when it wins by sysObjectID and our sys_descr matches "
        "(a Cisco ASA shares Cisco's enterprise prefix with every other Cisco box)",
    )

    @field_validator("sys_object_id")
    @classmethod
    def _oids(cls, values: list[str]) -> list[str]:
        return [_oid(v) for v in values]

    @field_validator("sys_descr")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
        return values


class ProfileSpec(_Strict):
    name: str
    description: str = ""
    include: list[str] = Field(default_factory=list)
    fallback: bool = Field(
        False, description="read on every device whatever its profile, when the agent answers it"
    )
    without: list[str] = Field(
        default_factory=list,
        description="measurement.field of included profiles this one drops (it reads that better)",
    )
    match: Match = Field(default_factory=Match)
    metrics: list[MetricSpec] = Field(default_factory=list)

    @field_validator("without")
    @classmethod
    def _dotted(cls, values: list[str]) -> list[str]:
        for value in values:
            if value.count(".") != 1:
                raise ValueError(f"{value!r}: write measurement.field")
        return values


@dataclass(frozen=True)
class Profile:
    """A profile with its includes resolved: every metric it reads, once."""

    name: str
    description: str
    match: Match
    metrics: tuple[MetricSpec, ...]
    sources: tuple[str, ...]  # this profile and what it includes, in order
    # Measurements read only because a fallback profile adds them to every device: the poller
    # stops asking a device for one it does not answer (until the next index refresh).
    probed: frozenset[str] = frozenset()
    fallbacks: tuple[str, ...] = ()  # the fallback profiles added

    @cached_property
    def scalar_oids(self) -> list[str]:
        return self.scalar_oids_without(frozenset())

    @cached_property
    def column_oids(self) -> list[str]:
        return self.column_oids_without(frozenset())

    @cached_property
    def label_oids(self) -> list[str]:
        return self.label_oids_without(frozenset())

    def scalar_oids_without(self, absent: frozenset[str]) -> list[str]:
        return [
            f.oid for m in self.metrics if not m.is_table and m.measurement not in absent for f in m.fields
        ]

    def column_oids_without(self, absent: frozenset[str]) -> list[str]:
        return [f.oid for m in self.metrics if m.is_table and m.measurement not in absent for f in m.fields]

    def label_oids_without(self, absent: frozenset[str]) -> list[str]:
        seen: dict[str, None] = {}
        for metric in self.metrics:
            if metric.measurement in absent:
                continue
            for tag in metric.tags:
                seen.setdefault(tag.oid, None)
        return list(seen)

    @cached_property
    def fallback_columns(self) -> dict[str, FallbackSpec]:
        """field column OID -> the column read instead when the agent has no rows in it."""
        return {f.oid: f.fallback for m in self.metrics if m.is_table for f in m.fields if f.fallback}


@dataclass(frozen=True)
class Choice:
    """Why a profile was chosen: `by` is sys_object_id (prefix matched), sys_descr (pattern
    matched), default (nothing matched: generic) or configured (the target names its profile)."""

    profile: str
    by: Literal["sys_object_id", "sys_descr", "default", "configured"]
    matched: str | None

    def explain(self) -> str:
        if self.by == "sys_object_id":
            return f"sysObjectID starts with {self.matched}"
        if self.by == "sys_descr":
            return f"sysDescr matches /{self.matched}/"
        if self.by == "configured":
            return "named by the target"
        return "no profile matched: generic"


class ProfileSet:
    """Every profile in a folder, validated and with includes resolved."""

    def __init__(self, specs: dict[str, ProfileSpec]) -> None:
        self.specs = specs
        self.fallbacks = tuple(name for name, spec in sorted(specs.items()) if spec.fallback)
        self.profiles = {name: self._with_fallbacks(self._resolve(name, ())) for name in specs}
        if GENERIC not in self.profiles:
            raise ProfileError(f"the profiles folder needs a {GENERIC!r} profile to fall back on")
        for name, spec in specs.items():
            if spec.match.refines is not None and spec.match.refines not in specs:
                raise ProfileError(f"{name}.yaml: match.refines: no profile named {spec.match.refines!r}")

    @classmethod
    def load(cls, folder: Path = PROFILES_DIR) -> ProfileSet:
        specs: dict[str, ProfileSpec] = {}
        for path in sorted(folder.glob("*.yaml")):
            spec = load_spec(path)
            if spec.name in specs:
                raise ProfileError(f"{path.name}: profile name {spec.name!r} is used twice")
            specs[spec.name] = spec
        return cls(specs)

    def _resolve(self, name: str, chain: tuple[str, ...]) -> Profile:
        if name in chain:
            raise ProfileError(f"profile {name!r} includes itself through {' -> '.join(chain)}")
        spec = self.specs.get(name)
        if spec is None:
            raise ProfileError(f"{chain[-1]}.yaml: include: no profile named {name!r}")
        metrics: dict[str, MetricSpec] = {}
        sources: list[str] = []
        for included in spec.include:
            resolved = self._resolve(included, (*chain, name))
            for metric in resolved.metrics:
                metrics.setdefault(metric.measurement, metric)
            sources.extend(s for s in resolved.sources if s not in sources)
        for metric in spec.metrics:
            metrics[metric.measurement] = metric
        for dropped in spec.without:
            measurement, field = dropped.split(".")
            found = metrics.get(measurement)
            if found is None or field not in {f.field for f in found.fields} | {
                d.field for d in found.derived
            }:
                raise ProfileError(f"{name}.yaml: without: no {dropped} among what it includes")
            metrics[measurement] = found.model_copy(
                update={
                    "fields": [f for f in found.fields if f.field != field],
                    "derived": [d for d in found.derived if d.field != field],
                }
            )
        sources.append(name)
        return Profile(spec.name, spec.description, spec.match, tuple(metrics.values()), tuple(sources))

    def _with_fallbacks(self, profile: Profile) -> Profile:
        """The profile plus every fallback profile it does not include already, marked probed."""
        metrics = {m.measurement: m for m in profile.metrics}
        probed: set[str] = set()
        added: list[str] = []
        for name in self.fallbacks:
            if name in profile.sources:
                continue
            added.append(name)
            for metric in self._resolve(name, ()).metrics:
                if metric.measurement not in metrics:
                    metrics[metric.measurement] = metric
                    probed.add(metric.measurement)
        return Profile(
            profile.name,
            profile.description,
            profile.match,
            tuple(metrics.values()),
            profile.sources,
            frozenset(probed),
            tuple(added),
        )

    def __getitem__(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            raise ProfileError(
                f"no profile named {name!r}; known: {', '.join(sorted(self.profiles))}"
            ) from None

    def choose(self, sys_object_id: str | None, sys_descr: str | None) -> Profile:
        """Longest sysObjectID prefix wins; then the first sysDescr regex; then `generic`."""
        return self.profiles[self.choice(sys_object_id, sys_descr).profile]

    def choice(self, sys_object_id: str | None, sys_descr: str | None) -> Choice:
        """The profile chosen, and why: which prefix or pattern matched (or none did)."""
        best: tuple[int, str, str] | None = None
        if sys_object_id:
            oid = sys_object_id.strip(".")
            for name, profile in self.profiles.items():
                for prefix in profile.match.sys_object_id:
                    matches = oid == prefix or oid.startswith(prefix + ".")
                    if matches and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), name, prefix)
        if best is not None:
            for name in sorted(self.profiles):
                match = self.profiles[name].match
                if match.refines == best[1] and sys_descr:
                    pattern = next((p for p in match.sys_descr if re.search(p, sys_descr)), None)
                    if pattern is not None:
                        return Choice(name, "sys_descr", pattern)
            return Choice(best[1], "sys_object_id", best[2])
        if sys_descr:
            for name in sorted(self.profiles):
                for pattern in self.profiles[name].match.sys_descr:
                    if re.search(pattern, sys_descr):
                        return Choice(name, "sys_descr", pattern)
        return Choice(GENERIC, "default", None)

    def all_metrics(self) -> Iterable[tuple[str, MetricSpec]]:
        for name, spec in sorted(self.specs.items()):
            for metric in spec.metrics:
                yield name, metric


def load_spec(path: Path) -> ProfileSpec:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path.name}: a profile is a mapping with name, match, metrics")
    try:
        spec = ProfileSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(_key(data, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ProfileError(f"{path.name}: {problems}") from None
    if spec.name != path.stem:
        raise ProfileError(f"{path.name}: name {spec.name!r} must equal the file name {path.stem!r}")
    return spec


def _key(data: object, loc: tuple[int | str, ...]) -> list[str]:
    """The location of an error, with list positions shown as the item's name where it has one."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            item = node[step]
            label = (
                item.get("field") or item.get("measurement") or item.get("tag")
                if isinstance(item, dict)
                else None
            )
            parts.append(f"[{label}]" if label else f"[{step}]")
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return parts
