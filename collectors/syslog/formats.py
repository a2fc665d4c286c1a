"""Vendor formats as data: which messages a format takes, how to decode them, each field's type,
the names of the device in them, and the events that matter (formats/*.yaml, README "Formats").

Every file is validated when loaded; a mistake names the file and the key
(`.../mine.yaml: events[2].when.logid: ... is not a regular expression`).
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collectors.syslog.decoders import DECODERS, Decoder

SHIPPED_DIR = Path(__file__).parent / "formats"
FieldType = Literal["str", "int", "float", "ip", "bool"]
EventSeverity = Literal["info", "warning", "critical"]
MISSING = "?"
MAX_VALUE_CHARS = 4_096
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TRUE = frozenset({"1", "true", "yes", "on", "enable", "enabled"})
_NO_VALUE = frozenset({"", "-", "N/A", "n/a", "NA", "none"})


class FormatError(ValueError):
    """A format file that cannot be used, with the file and key named."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _compile(value: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None


class SeverityFrom(_Strict):
    """An event's severity read from a field (`severity: {field: severity, map: {...}}`)."""

    field: str
    map: dict[str, EventSeverity]
    default: EventSeverity = "info"


class EventSpec(_Strict):
    event: str = Field(pattern=r"^[a-z0-9_]+$", description="the event's name, e.g. admin_login_failed")
    when: dict[str, str] = Field(default_factory=dict, description="field -> regex (full match)")
    extract: str | None = Field(default=None, description="regex searched in `extract_from`; named groups")
    extract_from: str = "text"
    severity: EventSeverity | SeverityFrom = "info"
    category: Literal["security", "operational"] = "security"
    message: str
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("when")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for key, pattern in value.items():
            _compile(pattern, key)
        return value

    @field_validator("extract")
    @classmethod
    def _extract(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value, "extract")
        return value


class Detect(_Strict):
    """A format takes a message when every given regex is found (searched)."""

    text: str | None = None
    app_name: str | None = None

    @model_validator(mode="after")
    def _regexes(self) -> Detect:
        for value in (self.text, self.app_name):
            if value is not None:
                _compile(value, "detect")
        if self.text is None and self.app_name is None:
            raise ValueError("detect needs text or app_name")
        return self


class FormatSpec(_Strict):
    vendor: str
    product: str
    reference: str = Field(description="the vendor's public document the format follows")
    priority: int = Field(default=100, description="lower is tried first; generic formats last")
    decoder: Literal["kv", "csv", "cef", "leef", "regex"]
    detect: Detect
    options: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, FieldType] = Field(default_factory=dict)
    hostname_fields: list[str] = Field(default_factory=list)
    serial_fields: list[str] = Field(default_factory=list)
    severity_field: str | None = None
    severity_map: dict[str, int] = Field(default_factory=dict, description="vendor level -> 0..7")
    text_fields: list[str] = Field(
        default_factory=list,
        description="fields holding the device's own sentence for the message (FortiGate `msg`); "
        "pages show the first one present instead of the whole key=value line",
    )
    events: list[EventSpec] = Field(default_factory=list)

    @field_validator("vendor")
    @classmethod
    def _vendor(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("vendor must be lowercase letters, digits, - and _")
        return value

    @model_validator(mode="after")
    def _options(self) -> FormatSpec:
        if self.decoder == "csv" and not isinstance(self.options.get("columns"), dict):
            raise ValueError("options.columns (type value -> list of column names) is required for csv")
        for key in ("pattern", "params"):
            if key in self.options:
                _compile(str(self.options[key]), f"options.{key}")
        for value in self.severity_map.values():
            if not 0 <= value <= 7:
                raise ValueError("severity_map values are syslog severities 0..7")
        return self


@dataclass(frozen=True, slots=True)
class CompiledEvent:
    spec: EventSpec
    when: tuple[tuple[str, re.Pattern[str]], ...]
    extract: re.Pattern[str] | None


class EventIndex:
    """Which of a format's events can take a message, decided by the values of the fields their
    `when` reads. Most messages are traffic logs whose few deciding values (logid, type, subtype,
    action ...) repeat, so the answer is remembered instead of running every event's regexes on
    every message (bounded: cleared when full; long values are not remembered)."""

    MEMO_LIMIT = 2_048
    MEMO_VALUE_CHARS = 256

    def __init__(self, events: tuple[CompiledEvent, ...]) -> None:
        self.events = events
        self.keys = tuple(dict.fromkeys(key for event in events for key, _ in event.when))
        self._memo: dict[tuple[Any, ...], tuple[CompiledEvent, ...]] = {}

    def candidates(self, fields: Mapping[str, Any]) -> tuple[CompiledEvent, ...]:
        """The events whose `when` holds for `fields`, in the format's order."""
        # The typed values themselves are the key: a field has one declared type, so two values
        # that are equal also read the same to the regexes.
        values = tuple([fields.get(key) for key in self.keys])
        found = self._memo.get(values)
        if found is None:
            found = tuple(event for event in self.events if _when_holds(event, fields))
            if not any(isinstance(value, str) and len(value) > self.MEMO_VALUE_CHARS for value in values):
                if len(self._memo) >= self.MEMO_LIMIT:
                    self._memo.clear()
                self._memo[values] = found
        return found


def _when_holds(event: CompiledEvent, fields: Mapping[str, Any]) -> bool:
    for key, pattern in event.when:
        value = fields.get(key)
        if value is None or pattern.fullmatch(str(value)) is None:
            return False
    return True


@dataclass(frozen=True)
class Format:
    """A loaded format, ready for the hot path."""

    name: str  # the file's stem, e.g. fortigate
    spec: FormatSpec
    source_file: str
    detect_text: re.Pattern[str] | None
    detect_app: re.Pattern[str] | None
    options: Mapping[str, Any]
    events: tuple[CompiledEvent, ...]
    event_index: EventIndex

    @property
    def vendor(self) -> str:
        return self.spec.vendor

    def takes(self, text: str, app_name: str | None) -> bool:
        if self.detect_app is not None and not (app_name and self.detect_app.search(app_name)):
            return False
        return self.detect_text is None or self.detect_text.search(text) is not None

    def decode(self, text: str) -> dict[str, str] | None:
        return self._decoder(text, self.options)

    @property
    def _decoder(self) -> Decoder:
        return DECODERS[self.spec.decoder]


def _compiled(name: str, spec: FormatSpec, source: str) -> Format:
    options = dict(spec.options)
    if "pattern" in options:
        options["compiled"] = re.compile(options["pattern"], re.DOTALL)
    if "params" in options:
        options["compiled_params"] = re.compile(options["params"])
    events = tuple(
        CompiledEvent(
            spec=event,
            when=tuple((key, re.compile(pattern, re.IGNORECASE)) for key, pattern in event.when.items()),
            extract=re.compile(event.extract) if event.extract else None,
        )
        for event in spec.events
    )
    return Format(
        name=name,
        spec=spec,
        source_file=source,
        detect_text=re.compile(spec.detect.text) if spec.detect.text else None,
        detect_app=re.compile(spec.detect.app_name) if spec.detect.app_name else None,
        options=options,
        events=events,
        event_index=EventIndex(events),
    )


def load_file(path: Path) -> Format:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FormatError(f"{path}: cannot be read as YAML: {exc}") from None
    try:
        spec = FormatSpec.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise FormatError(f"{path}: {where}: {message}" if where else f"{path}: {message}") from None
    return _compiled(path.stem, spec, str(path))


def load_formats(extra_dirs: Iterable[Path] = ()) -> list[Format]:
    """The shipped formats plus those in `extra_dirs` (a file of the same name replaces a shipped one),
    in the order they are tried: by priority, then name."""
    by_name: dict[str, Format] = {}
    for folder in (SHIPPED_DIR, *extra_dirs):
        if not folder.is_dir():
            raise FormatError(f"{folder}: the syslog formats folder does not exist")
        for path in sorted(folder.glob("*.yaml")):
            by_name[path.stem] = load_file(path)
    return sorted(by_name.values(), key=lambda f: (f.spec.priority, f.name))


# --- typing and templates -----------------------------------------------------------------------


def typed(values: Mapping[str, str], types: Mapping[str, FieldType]) -> tuple[dict[str, Any], list[str]]:
    """Each value converted to its declared type (undeclared ones stay text, cut at 4 KiB); a value
    that does not convert stays text and its name is returned, so nothing is silently lost."""
    out: dict[str, Any]
    if sum(map(len, values.values())) <= MAX_VALUE_CHARS:  # the common case: nothing to cut
        out = dict(values)
    else:
        out = {key: value[:MAX_VALUE_CHARS] for key, value in values.items()}
    bad: list[str] = []
    # Only the declared, converted fields are visited (most of a message's fields are text).
    for key in [key for key in out if key in types]:
        convert = _CONVERTERS.get(types[key])  # None for "str"
        if convert is None:
            continue
        value = out[key]
        if value in _NO_VALUE or value.strip() in _NO_VALUE:  # FortiGate tunnelip=N/A, others "-"
            out[key] = None
            continue
        try:
            out[key] = convert(value)
        except ValueError:
            bad.append(key)
    return out, bad


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        if value[:2].lower() == "0x":
            return int(value, 16)
        raise


def _bool(value: str) -> bool:
    return value.strip().lower() in _TRUE


_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")


def _ip(value: str) -> str:
    """The address in its canonical text (IPv4 checked by hand: ipaddress is slow on the hot path)."""
    match = _IPV4.fullmatch(value)
    if match is not None:
        parts = [int(part) for part in match.groups()]
        if max(parts) > 255:
            raise ValueError(value)
        return ".".join(map(str, parts))
    return str(ipaddress.ip_address(value.split("%")[0]))


def _ip_text(value: str) -> str:
    return _ip(value.strip())


_CONVERTERS: dict[str | None, Callable[[str], Any]] = {
    "int": _int,
    "float": float,
    "bool": _bool,
    "ip": _ip_text,
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return MISSING


_FORMATTER = string.Formatter()


def render(template: str, values: Mapping[str, Any]) -> str:
    try:
        return template.format_map(_Lenient(values))
    except (IndexError, KeyError, ValueError, AttributeError, TypeError):
        return template


@lru_cache(maxsize=1_024)
def _template_fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in _FORMATTER.parse(template) if name)


def template_fields(template: str) -> list[str]:
    return list(_template_fields(template))
