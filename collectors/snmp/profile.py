"""Device profiles: YAML data saying what to read from a kind of device and what it becomes.

A profile is chosen by the longest sysObjectID prefix among `match.sys_object_id`, else by the
first `match.sys_descr` regular expression that matches, else the `generic` profile. A profile may
`include` others (generic MIB-2, HOST-RESOURCES, ENTITY ...); its metrics are the union.

Every field declares its `type` (int, float, str, bool), which never changes: InfluxDB rejects a
field whose type changes, so the type is data, not a guess from what an agent happened to send.
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

PROFILES_DIR = Path(__file__).parent / "profiles"
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


class FieldSpec(_Strict):
    """One value read from the agent and written as a field."""

    field: str = Field(description="field name in the measurement")
    oid: str = Field(description="numeric OID: the instance (…​.0) for scalars, the column for tables")
    mib_name: str = Field(description="the MIB object's name, for people")
    type: Literal["int", "float", "str", "bool"]
    counter: bool = Field(False, description="monotonic counter: kept raw, and a per-second rate derived")
    counter_bits: Literal[32, 64] = Field(
        64, description="Counter32 or Counter64 in the MIB: a Counter32 that goes down has wrapped"
    )
    unit: str = Field("", description="unit of the value (of the rate: unit/s), e.g. B, packets, %, Mbit/s")
    percent_of: PercentOf | None = Field(None, description="reads as a utilisation of another field")
    scale: float | None = Field(None, description="multiply the raw number by this (float fields only)")
    enum: dict[int, str] | None = Field(None, description="integer -> text (type must be str)")
    description: str = ""

    _check_oid = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))

    @field_validator("field")
    @classmethod
    def _field_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("field names are lower_snake_case")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.counter and self.type != "int":
            raise ValueError("a counter field must have type int (counters are whole numbers)")
        if self.scale is not None and self.type != "float":
            raise ValueError("a scaled field must have type float")
        if self.enum is not None and self.type != "str":
            raise ValueError("an enum field must have type str")
        if self.counter_bits != 64 and not self.counter:
            raise ValueError("counter_bits is for counter fields")
        if self.percent_of is not None and self.type not in ("int", "float"):
            raise ValueError("only a numeric field can read as a percentage")
        return self


class TagSpec(_Strict):
    """A label read from the agent (an index column such as ifName) and written as a tag."""

    tag: str
    oid: str
    mib_name: str
    enum: dict[str, str] | None = Field(None, description="raw value (number or OID) -> text")

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
        names = [f.field for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"field names repeat in measurement {self.measurement!r}")
        for spec in self.fields:
            if spec.percent_of is not None and spec.percent_of.field not in names:
                raise ValueError(
                    f"field {spec.field!r}: percent_of names {spec.percent_of.field!r}, not a field here"
                )
        return self

    @property
    def is_table(self) -> bool:
        return self.table is not None


class Match(_Strict):
    sys_object_id: list[str] = Field(default_factory=list)
    sys_descr: list[str] = Field(default_factory=list)

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
    match: Match = Field(default_factory=Match)
    metrics: list[MetricSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """A profile with its includes resolved: every metric it reads, once."""

    name: str
    description: str
    match: Match
    metrics: tuple[MetricSpec, ...]
    sources: tuple[str, ...]  # this profile and what it includes, in order

    @cached_property
    def scalar_oids(self) -> list[str]:
        return [f.oid for m in self.metrics if not m.is_table for f in m.fields]

    @cached_property
    def column_oids(self) -> list[str]:
        return [f.oid for m in self.metrics if m.is_table for f in m.fields]

    @cached_property
    def label_oids(self) -> list[str]:
        seen: dict[str, None] = {}
        for metric in self.metrics:
            for tag in metric.tags:
                seen.setdefault(tag.oid, None)
        return list(seen)


class ProfileSet:
    """Every profile in a folder, validated and with includes resolved."""

    def __init__(self, specs: dict[str, ProfileSpec]) -> None:
        self.specs = specs
        self.profiles = {name: self._resolve(name, ()) for name in specs}
        if GENERIC not in self.profiles:
            raise ProfileError(f"the profiles folder needs a {GENERIC!r} profile to fall back on")

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
        sources.append(name)
        return Profile(spec.name, spec.description, spec.match, tuple(metrics.values()), tuple(sources))

    def __getitem__(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            raise ProfileError(
                f"no profile named {name!r}; known: {', '.join(sorted(self.profiles))}"
            ) from None

    def choose(self, sys_object_id: str | None, sys_descr: str | None) -> Profile:
        """Longest sysObjectID prefix wins; then the first sysDescr regex; then `generic`."""
        best: tuple[int, str] | None = None
        if sys_object_id:
            oid = sys_object_id.strip(".")
            for name, profile in self.profiles.items():
                for prefix in profile.match.sys_object_id:
                    matches = oid == prefix or oid.startswith(prefix + ".")
                    if matches and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), name)
        if best is not None:
            return self.profiles[best[1]]
        if sys_descr:
            for name in sorted(self.profiles):
                if any(re.search(p, sys_descr) for p in self.profiles[name].match.sys_descr):
                    return self.profiles[name]
        return self.profiles[GENERIC]

    def all_metrics(self) -> Iterable[tuple[str, MetricSpec]]:
        for name, spec in sorted(self.specs.items()):
            for metric in spec.metrics:
                yield name, metric


def load_spec(path: Path) -> ProfileSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
