"""Readable `--help`: values named the way Unix manuals name them (TEXT, INTEGER, RANGES...)
rather than Python types (`<list[str]>`, `<int range>`), and nothing after a flag (`<bool>`).

Typer prints its own type labels and offers no setting for them; one small wrapper here, installed
once by `eams.cli.main`, keeps every command's help alike instead of a metavar on each option.
"""

from __future__ import annotations

import re
from typing import Any

from typer import core

WORDS = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "datetime": "DATETIME",
    "uuid": "UUID",
}
# -h as well as --help, on every command and group.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

_typer_label = core._TyperParameter.display_type


def readable_label(label: str | None) -> str | None:
    """`<list[str]>` -> TEXT, `<int range>` -> INTEGER, `<a|b>` -> [a|b], `<bool>` -> None."""
    if not label:
        return label
    inner = label.removeprefix("<").removesuffix(">")
    while (match := re.fullmatch(r"list\[(.*)\]", inner)) is not None:
        inner = match.group(1)
    inner = inner.removesuffix(" range")
    if inner == "bool":
        return None
    if inner in WORDS:
        return WORDS[inner]
    if "|" in inner:
        return f"[{inner}]"
    return inner.upper()


def _display_type(self: Any, ctx: Any) -> str | None:
    if getattr(self, "is_flag", False):
        return None
    return readable_label(_typer_label(self, ctx))


def _usage_name(self: Any) -> str:
    """An argument in the usage line as manuals write it: RANGES... required, [NAME] optional
    (Typer writes {ranges} for a required one)."""
    name = self.metavar or (self.name or "").upper()
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def install() -> None:
    core._TyperParameter.display_type = _display_type  # type: ignore[method-assign,assignment]
    core.TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
