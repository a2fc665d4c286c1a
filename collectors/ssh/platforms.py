"""Command sets per platform, read from YAML (`platforms/*.yaml`, plus a folder of the user's own).

A platform file says which show commands give the version, inventory, interfaces, neighbours and
the running configuration, which parser reads each, where the inventory facts are in the parsed
output, which lines hold secrets and which lines change without a configuration change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

BUILTIN_DIR = Path(__file__).parent / "platforms"

PURPOSES = ("version", "inventory", "interfaces", "neighbours", "running_config")
PARSERS = ("textfsm", "key_value", "none")
FACT_FIELDS = ("hostname", "serial", "model", "firmware_version")


class PlatformError(ValueError):
    """A platform file is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    command: str
    parser: str = "none"
    protocol: str | None = None  # lldp or cdp, for neighbour commands


@dataclass(frozen=True, slots=True)
class FactSource:
    purpose: str
    field: str


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    netmiko_device_type: str
    textfsm_platform: str
    vendor: str | None = None
    enable: bool = False
    commands: Mapping[str, tuple[CommandSpec, ...]] = field(default_factory=dict)
    facts: Mapping[str, tuple[FactSource, ...]] = field(default_factory=dict)
    neighbour_fields: Mapping[str, str | None] = field(default_factory=dict)
    redact: tuple[re.Pattern[str], ...] = ()
    volatile: tuple[re.Pattern[str], ...] = ()
    metrics: Mapping[str, str] = field(default_factory=dict)

    def commands_for(self, purpose: str) -> tuple[CommandSpec, ...]:
        return self.commands.get(purpose, ())

    @property
    def running_config(self) -> CommandSpec:
        found = self.commands_for("running_config")
        if not found:
            raise PlatformError(f"platform {self.name!r} has no running_config command")
        return found[0]


def _compile(patterns: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if patterns is None:
        return ()
    if not isinstance(patterns, list):
        raise PlatformError(f"{where}: expected a list of regular expressions")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(str(pattern), re.MULTILINE))
        except re.error as exc:
            raise PlatformError(f"{where}: {pattern!r} is not a valid regular expression: {exc}") from None
    return tuple(compiled)


def parse_platform(data: Mapping[str, Any], where: str) -> Platform:
    try:
        name = str(data["name"])
    except (KeyError, TypeError):
        raise PlatformError(f"{where}: 'name' is required") from None
    commands: dict[str, tuple[CommandSpec, ...]] = {}
    for purpose, specs in (data.get("commands") or {}).items():
        if purpose not in PURPOSES:
            raise PlatformError(f"{where}: commands.{purpose}: unknown purpose; use one of {PURPOSES}")
        built = []
        for spec in specs or []:
            spec = {"command": spec} if isinstance(spec, str) else spec
            parser = spec.get("parser", "none")
            if parser not in PARSERS:
                raise PlatformError(f"{where}: commands.{purpose}: parser {parser!r}; use one of {PARSERS}")
            built.append(CommandSpec(str(spec["command"]), parser, spec.get("protocol")))
        commands[purpose] = tuple(built)
    facts = {
        fact: tuple(FactSource(str(source["from"]), str(source["field"])) for source in sources or [])
        for fact, sources in (data.get("facts") or {}).items()
    }
    unknown = set(facts) - set(FACT_FIELDS)
    if unknown:
        raise PlatformError(f"{where}: facts: unknown field(s) {sorted(unknown)}; use {FACT_FIELDS}")
    return Platform(
        name=name,
        netmiko_device_type=str(data.get("netmiko_device_type") or name),
        textfsm_platform=str(data.get("textfsm_platform") or name),
        vendor=data.get("vendor"),
        enable=bool(data.get("enable", False)),
        commands=commands,
        facts=facts,
        neighbour_fields=dict(data.get("neighbour_fields") or {}),
        redact=_compile(data.get("redact"), f"{where}: redact"),
        volatile=_compile(data.get("volatile"), f"{where}: volatile"),
        metrics={str(key): str(value) for key, value in (data.get("metrics") or {}).items()},
    )


def _read(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlatformError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PlatformError(f"{path}: expected a mapping at the top")
    return data


@dataclass(frozen=True)
class PlatformRegistry:
    platforms: Mapping[str, Platform]

    def get(self, name: str) -> Platform:
        try:
            return self.platforms[name]
        except KeyError:
            known = ", ".join(sorted(self.platforms))
            raise PlatformError(f"no SSH command set for platform {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self.platforms)


def load_registry(extra_dir: Path | None = None, extra_redactions: Path | None = None) -> PlatformRegistry:
    """The built-in platforms, then the user's (a file with the same name replaces the built-in
    one), then extra redaction patterns (`{platform or "all": [regex, ...]}`) appended."""
    raw: dict[str, dict[str, Any]] = {}
    folders = [BUILTIN_DIR] + ([extra_dir] if extra_dir else [])
    for folder in folders:
        if not folder.is_dir():
            raise PlatformError(f"{folder}: the SSH platforms folder does not exist")
        for path in sorted(folder.glob("*.yaml")):
            data = dict(_read(path))
            raw[str(data.get("name") or path.stem)] = {**data, "_where": str(path)}
    extras: Mapping[str, Any] = _read(extra_redactions) if extra_redactions else {}
    platforms = {}
    for name, data in raw.items():
        added = list(extras.get("all") or []) + list(extras.get(name) or [])
        if added:
            data = {**data, "redact": list(data.get("redact") or []) + added}
        platforms[name] = parse_platform(data, data["_where"])
    return PlatformRegistry(platforms)


@cache
def builtin_registry() -> PlatformRegistry:
    return load_registry()
