"""Rules as data: the typed shape of one rule, shared by the YAML files and the API.

A rule says what to watch (`kind` and its parameters), where (`scope`), how loud (`severity`,
`category`, `labels`) and what to say (`summary` in English and Vietnamese). Durations are
written as `90s`, `5m`, `2h`, `1d`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from inventory.schemas.common import Boundary

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> float:
    """`5m` -> 300.0; a bare number is seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f"{value!r} is not a duration (write 30s, 5m, 2h or 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
Op = Literal[">", ">=", "<", "<=", "==", "!="]
RuleKind = Literal["threshold", "unreachable", "oper_down", "stale", "event", "absence", "inventory"]


class Strict(Boundary):
    """Rules from YAML files and from the API: unknown keys are errors; text, nulls and booleans are
    checked as in every inventory body (`days: false` is not 0)."""

    model_config = ConfigDict(extra="forbid")


class Scope(Strict):
    """Which devices a rule covers; every given list must match (AND), values inside a list OR."""

    roles: list[str] = Field(default_factory=list)
    agency_ids: list[int] = Field(default_factory=list)
    site_ids: list[int] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    device_ids: list[int] = Field(default_factory=list)

    @property
    def is_everything(self) -> bool:
        return not (self.roles or self.agency_ids or self.site_ids or self.tags or self.device_ids)


class Text(Strict):
    en: str = ""
    vi: str = ""


class EventMatch(Strict):
    """Which events a rule reacts to. `name` is a glob (`*.vpn.tunnel_down`), `exclude_names` globs
    it must not match; `labels` and `data` values must be equal (compared as text), e.g. a trap
    mapping's name in `name` and varbind values in `data`."""

    kind: str
    name: str | None = None
    exclude_names: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    data: dict[str, str] = Field(default_factory=dict)
    # The severity the sender gave the event (a trap mapping's): empty means any.
    severity: list[Literal["info", "warning", "critical"]] = Field(default_factory=list)


class RuleSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: RuleKind
    severity: Literal["info", "warning", "critical"] = "warning"
    category: Literal["operational", "security"] = "operational"
    enabled: bool = True
    scope: Scope = Field(default_factory=Scope)
    labels: dict[str, str] = Field(default_factory=dict)
    summary: Text = Field(default_factory=Text)
    # Sample tags (or event labels) that name the entity: one alert per interface, disk, tunnel.
    entity: list[str] = Field(default_factory=list)
    for_: Duration = Field(default=0, alias="for")

    # threshold / unreachable / oper_down / stale
    measurement: str | None = None
    field: str | None = None
    source: Literal["field", "rate"] = "field"
    op: Op = ">"
    value: float | None = None
    clear: float | None = Field(default=None, description="Resolve only past this value (hysteresis)")
    scale: float = 1.0
    percent_of: str | None = Field(default=None, description="Field holding the 100 % mark (ifHighSpeed)")
    percent_of_scale: float = 1.0
    failures: int = Field(default=3, ge=1, description="unreachable: failed polls in a row")
    down_values: list[str] = Field(default_factory=lambda: ["2", "down"])
    important_only: bool = True
    intervals: int = Field(default=3, ge=1, description="stale: missed intervals")
    interval: Duration = 60.0

    # event / absence
    match: EventMatch | None = None
    resolve_match: EventMatch | None = None
    resolve_after: Duration | None = None
    within: Duration | None = Field(
        default=None, description="absence: the window without an event; event: the window of a burst"
    )
    count: int = Field(
        default=1, ge=1, description="event: matching events within `within` needed to fire (a burst)"
    )

    # inventory
    check: str | None = Field(default=None, description="warranty_end, end_of_support, end_of_life ...")
    days: int = Field(default=90, ge=0)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _complete(self) -> RuleSpec:
        need: dict[str, tuple[str, ...]] = {
            "threshold": ("measurement", "field", "value"),
            "unreachable": ("measurement", "field"),
            "oper_down": ("measurement", "field"),
            "stale": ("measurement",),
            "event": ("match",),
            "absence": ("match", "within"),
            "inventory": ("check",),
        }
        for name in need[self.kind]:
            if getattr(self, name) is None:
                raise ValueError(f"{name} is required for a {self.kind} rule")
        if self.kind == "event" and self.count > 1 and self.within is None:
            raise ValueError("within is required for an event rule with a count above 1 (a burst)")
        if self.kind == "threshold" and self.clear is not None and self.value is not None:
            rising = self.op in (">", ">=")
            if (rising and self.clear > self.value) or (self.op in ("<", "<=") and self.clear < self.value):
                raise ValueError("clear must lie on the healthy side of value (hysteresis)")
        return self

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {
            "name": self.name,
            "kind": self.kind,
        }


def first_problem(error: ValidationError) -> tuple[str | None, str]:
    """(field, sentence) of the first problem pydantic found, without its boilerplate."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or None
    message = str(first["msg"]).removeprefix("Value error, ")
    return where, f"{where}: {message}" if where else message
