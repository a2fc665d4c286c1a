"""Parses command output: TextFSM templates from ntc-templates, or small built-in parsers.

Every result keeps the raw text beside the parsed rows, with the parser's name and version, so a
wrong parse can be checked against what the device really said.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ntc_templates.parse import _get_template_dir
from textfsm import clitable

from collectors.ssh.platforms import CommandSpec

Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CommandResult:
    purpose: str
    command: str
    raw: str
    parsed: Rows | None
    parser: str | None
    parser_version: str | None
    error: str | None = None  # why parsing failed; the raw text is still kept


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


NTC_VERSION = _package_version("ntc-templates")
EAMS_VERSION = _package_version("eams")

# Loading the ntc-templates index compiles hundreds of regexes, and a CliTable keeps parse state:
# one table per worker thread.
_tables = threading.local()


def _cli_table() -> clitable.CliTable:
    table = getattr(_tables, "table", None)
    if table is None:
        table = clitable.CliTable("index", _get_template_dir())
        _tables.table = table
    return table


def parse_textfsm(platform: str, command: str, raw: str) -> tuple[Rows, str]:
    """Rows (lower-case keys) and the template's file name; ValueError when none fits."""
    table = _cli_table()
    attrs = {"Command": command, "Platform": platform}
    try:
        table.ParseCmd(raw, attrs)
    except clitable.CliTableError as exc:
        raise ValueError(f"no TextFSM template parses {command!r} on {platform}: {exc}") from None
    row = table.index.GetRowMatch(attrs)
    template = str(table.index.index[row]["Template"]) if row else "unknown"
    header = [str(name).lower() for name in table.header]
    return [dict(zip(header, list(values), strict=False)) for values in table], template


def parse_key_value(raw: str) -> Rows:
    """`KEY=value` lines (os-release style) as one row with lower-case keys, quotes removed."""
    row: dict[str, Any] = {}
    for line in raw.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            row[key.strip().lower()] = value.strip().strip('"').strip("'")
    return [row] if row else []


def parse(purpose: str, spec: CommandSpec, raw: str, textfsm_platform: str) -> CommandResult:
    if spec.parser == "textfsm":
        try:
            rows, template = parse_textfsm(textfsm_platform, spec.command, raw)
        except ValueError as exc:
            return CommandResult(purpose, spec.command, raw, None, None, None, str(exc))
        return CommandResult(purpose, spec.command, raw, rows, f"ntc-templates:{template}", NTC_VERSION)
    if spec.parser == "key_value":
        return CommandResult(purpose, spec.command, raw, parse_key_value(raw), "eams:key_value", EAMS_VERSION)
    return CommandResult(purpose, spec.command, raw, None, None, None)
