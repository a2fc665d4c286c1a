"""Trap mappings: data files that turn a trap OID (and optionally varbind values) into an event.

Each YAML file in `collectors/traps/mappings/` (and the operator's own folder) names the varbind
OIDs it uses and lists traps with a severity, a category, a message template and labels. Files are
validated on load; a bad file stops the receiver with a sentence naming the file and the key.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from collectors.samples import Severity

BUILTIN_DIR = Path(__file__).parent / "mappings"
OID_PATTERN = r"^\.?[0-2](\.\d+)+$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
# Names every template may use besides the file's varbind names.
BUILTIN_FIELDS = frozenset({"source", "agent_address", "device", "trap_oid", "version", "uptime", "ifName"})
MISSING = "?"

Oid = Annotated[str, StringConstraints(pattern=OID_PATTERN)]
VarbindName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=64)]


class MappingError(ValueError):
    """A mapping file is not valid; the message names the file and the key."""


class TrapRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=100)]
    oid: Oid
    mib_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    severity: Severity
    category: Literal["security", "operational"]
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    labels: dict[VarbindName, Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=dict)
    # Extra conditions: varbind name -> regular expression its value must match (search).
    when: dict[VarbindName, str] = Field(default_factory=dict)

    @field_validator("oid")
    @classmethod
    def _strip_dot(cls, value: str) -> str:
        return value.lstrip(".")

    @field_validator("when")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for key, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{key}: {pattern!r} is not a regular expression ({exc})") from None
        return value


class MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_\-]+$", max_length=50)]
    description: str | None = None
    varbinds: dict[VarbindName, Oid] = Field(default_factory=dict)
    traps: list[TrapRule] = Field(min_length=1)

    @field_validator("varbinds")
    @classmethod
    def _strip_dots(cls, value: dict[str, str]) -> dict[str, str]:
        return {name: oid.lstrip(".") for name, oid in value.items()}


@dataclass(frozen=True)
class TrapMapping:
    """One loaded rule with the varbind names of its file resolved."""

    rule: TrapRule
    vendor: str
    source_file: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @property
    def name(self) -> str:
        return self.rule.name


class TrapMappings:
    """All rules, indexed by trap OID; `varbind_names` maps varbind OIDs to names across files."""

    def __init__(self, rules: Sequence[TrapMapping], varbind_names: Mapping[str, str]) -> None:
        self._by_oid: dict[str, list[TrapMapping]] = {}
        for rule in rules:
            self._by_oid.setdefault(rule.rule.oid, []).append(rule)
        # Conditional rules are tried before the catch-all for the same OID, file order otherwise.
        for candidates in self._by_oid.values():
            candidates.sort(key=lambda item: 0 if item.patterns else 1)
        self.varbind_names = dict(varbind_names)
        # Longest OID first so that `ifName` (…31.1.1.1.1) wins over a shorter prefix.
        self._prefixes = sorted(self.varbind_names, key=lambda oid: -len(oid))
        self.rules = list(rules)

    def __len__(self) -> int:
        return len(self.rules)

    def name_of(self, oid: str) -> str | None:
        """The declared name of a varbind OID (exact, or with an instance suffix such as `.0`)."""
        for prefix in self._prefixes:
            if oid == prefix or oid.startswith(prefix + "."):
                return self.varbind_names[prefix]
        return None

    def named_values(self, varbinds: Iterable[tuple[str, Any]]) -> dict[str, Any]:
        """Varbind values by declared name; the first occurrence of a name wins."""
        values: dict[str, Any] = {}
        for oid, value in varbinds:
            name = self.name_of(oid)
            if name is not None and name not in values:
                values[name] = value
        return values

    def match(self, trap_oid: str, values: Mapping[str, Any]) -> TrapMapping | None:
        for candidate in self._by_oid.get(trap_oid, ()):
            if all(
                name in values and pattern.search(str(values[name])) for name, pattern in candidate.patterns
            ):
                return candidate
        return None


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill `{name}` fields; a value the trap did not carry shows as `?`."""
    return string.Formatter().vformat(template, (), _Defaulting(values))


class _Defaulting(dict[str, Any]):
    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)

    def __missing__(self, key: str) -> str:
        return MISSING


def template_fields(template: str) -> list[str]:
    """The field names a template uses; only plain names are allowed (no attributes or indexes)."""
    names = []
    for _literal, field_name, format_spec, conversion in string.Formatter().parse(template):
        if field_name is None:
            continue
        if not re.match(NAME_PATTERN, field_name) or format_spec or conversion:
            raise ValueError(f"{{{field_name}}} is not a plain field name such as {{ifIndex}}")
        names.append(field_name)
    return names


def load_mappings(directories: Iterable[Path] = ()) -> TrapMappings:
    """Every `*.yaml` in the built-in folder, then in `directories`; a bad file raises MappingError."""
    rules: list[TrapMapping] = []
    names: dict[str, str] = {}
    name_files: dict[str, str] = {}
    seen_rules: dict[str, str] = {}
    for folder in (BUILTIN_DIR, *directories):
        if not folder.is_dir():
            raise MappingError(f"trap mappings folder {folder} does not exist")
        for path in sorted(folder.glob("*.yaml")):
            parsed = _read(path)
            for name, oid in parsed.varbinds.items():
                if oid in names and names[oid] != name:
                    raise MappingError(
                        f"{path}: varbinds.{name}: OID {oid} is already named {names[oid]!r} "
                        f"in {name_files[oid]}"
                    )
                names[oid] = name
                name_files[oid] = str(path)
            for index, rule in enumerate(parsed.traps):
                where = f"{path}: traps[{index}]"
                if rule.name in seen_rules:
                    earlier = seen_rules[rule.name]
                    raise MappingError(f"{where}.name: {rule.name!r} is already defined in {earlier}")
                seen_rules[rule.name] = str(path)
                rules.append(_checked(rule, parsed, where, str(path)))
    return TrapMappings(rules, names)


def _checked(rule: TrapRule, parsed: MappingFile, where: str, source_file: str) -> TrapMapping:
    """The rule, once its templates and conditions only use names the file declares."""
    known = set(parsed.varbinds) | BUILTIN_FIELDS
    templates = [("message", rule.message), *((f"labels.{key}", text) for key, text in rule.labels.items())]
    for key, template in templates:
        try:
            used = template_fields(template)
        except ValueError as exc:
            raise MappingError(f"{where}.{key}: {exc}") from None
        unknown = [name for name in used if name not in known]
        if unknown:
            raise MappingError(
                f"{where}.{key}: {{{unknown[0]}}} is neither a varbind declared under `varbinds:` "
                f"nor one of {', '.join(sorted(BUILTIN_FIELDS))}"
            )
    for key in rule.when:
        if key not in parsed.varbinds:
            raise MappingError(f"{where}.when.{key}: not a varbind declared under `varbinds:`")
    patterns = tuple((key, re.compile(value)) for key, value in rule.when.items())
    return TrapMapping(rule=rule, vendor=parsed.vendor, source_file=source_file, patterns=patterns)


def _read(path: Path) -> MappingFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot be read as YAML: {exc}") from None
    try:
        return MappingFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _location(first["loc"]) or "(top level)"
        raise MappingError(f"{path}: {key}: {first['msg']}").with_traceback(None) from None


def _location(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
