"""Turn a message's text into named string values, one decoder per wire format.

`kv` (FortiGate, Sophos, Check Point's Log Exporter), `csv` (PAN-OS), `cef`, `leef` and `regex`
(Cisco ASA/FTD, Huawei, Linux). Each takes the text and the format's options and returns a dict,
or None when the text is not of that form. Values stay strings here; typing is formats.py's job.
"""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Callable, Mapping
from typing import Any

Decoded = dict[str, str]
Decoder = Callable[[str, Mapping[str, Any]], Decoded | None]

# FortiGate/Sophos: key=value, key="quoted value" (a quote inside is written \")
_KV = re.compile(r'([A-Za-z_][\w.\-]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
_CEF_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\-\[\]]+)=")
_CEF_UNESCAPE = {"\\=": "=", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\|": "|"}
_CEF_ESCAPES = re.compile(r"\\[=\\nr|]")


def kv(text: str, options: Mapping[str, Any]) -> Decoded | None:
    pair = options.get("pair_separator")
    if pair:  # Check Point Log Exporter: [key:"value"; key:"value"]
        return _separated_kv(text, pair, options.get("kv_separator", ":"))
    # findall gives '' for the group that did not take part: a quoted value, when there is one,
    # else the bare one ('' both ways for key="" and key=).
    found = {key: (quoted.replace('\\"', '"') if quoted else bare) for key, quoted, bare in _KV.findall(text)}
    return found or None


def _separated_kv(text: str, pair: str, sep: str) -> Decoded | None:
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    found: Decoded = {}
    for part in _split_outside_quotes(body, pair):
        key, found_sep, value = part.partition(sep)
        if not found_sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"')
        found[key.strip()] = value
    return found or None


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if not quoted and text.startswith(separator, i):
            parts.append("".join(current))
            current = []
            i += len(separator)
            continue
        current.append(ch)
        i += 1
    if current:
        parts.append("".join(current))
    return parts


def csv(text: str, options: Mapping[str, Any]) -> Decoded | None:
    """PAN-OS: comma-separated, fields with commas in double quotes; the column list is chosen by
    the value of `type_column` (TRAFFIC, THREAT, SYSTEM, CONFIG, GLOBALPROTECT)."""
    values = _csv_split(text)
    layouts: dict[str, list[str]] = options["columns"]
    type_column: int = options.get("type_column", 0)
    if len(values) <= type_column:
        return None
    columns = layouts.get(values[type_column])
    if columns is None:
        return None
    return {name: value for name, value in zip(columns, values, strict=False) if name and value != ""}


def _csv_split(text: str) -> list[str]:
    """CSV fields of one line (double quotes around fields with commas, `""` for a quote)."""
    if '"' not in text:
        return text.split(",")
    return next(_csv.reader([text]), [])


def cef(text: str, options: Mapping[str, Any]) -> Decoded | None:
    """ArcSight CEF: `CEF:0|vendor|product|version|signature|name|severity|k=v k=v`."""
    start = text.find("CEF:")
    if start < 0:
        return None
    header, extension = _split_header(text[start + 4 :].lstrip(), 7)
    if header is None:
        return None
    names = ("cef_version", "cef_vendor", "cef_product", "cef_product_version", "signature_id", "name",
             "cef_severity")  # fmt: skip
    found = dict(zip(names, header, strict=True))
    keys = list(_CEF_KEY.finditer(extension))
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(extension)
        value = extension[match.end() : end].rstrip()
        found[match.group(1)] = _CEF_ESCAPES.sub(lambda m: _CEF_UNESCAPE[m.group(0)], value)
    return found


def _split_header(text: str, count: int) -> tuple[list[str] | None, str]:
    """The first `count` `|`-separated fields (with `\\|` and `\\\\` escapes) and the rest."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text) and len(fields) < count:
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "|\\":
            current.append(text[i + 1])
            i += 2
            continue
        if ch == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if len(fields) < count:
        return None, ""
    return fields, text[i:]


def leef(text: str, options: Mapping[str, Any]) -> Decoded | None:
    """IBM LEEF 1.0 (attributes separated by tabs) and 2.0 (a delimiter field after the header:
    a character or its hex `x5E`/`0x5E`). Some senders separate 1.0 attributes with `|`."""
    start = text.find("LEEF:")
    if start < 0:
        return None
    body = text[start + 5 :]
    version = body.split("|", 1)[0]
    header, rest = _split_header(body, 5)
    if header is None:
        return None
    delimiter = "\t"
    if version.startswith("2"):
        spec, _, attributes = rest.partition("|")
        if len(spec) == 1:
            delimiter = spec
        elif spec.lower().lstrip("0").startswith("x"):
            delimiter = chr(int(spec.lower().lstrip("0").lstrip("x"), 16))
        rest = attributes
    elif "\t" not in rest and "|" in rest:
        delimiter = "|"
    names = ("leef_version", "leef_vendor", "leef_product", "leef_product_version", "event_id")
    found = dict(zip(names, header, strict=True))
    for part in rest.split(delimiter):
        key, sep, value = part.partition("=")
        if sep and key:
            found[key.strip()] = value
    return found


def regex(text: str, options: Mapping[str, Any]) -> Decoded | None:
    """Named groups of `pattern` (searched), then `params`: name=value pairs found in one field
    (Huawei's `(Task=..., Ip=...)`)."""
    pattern: re.Pattern[str] | None = options.get("compiled")
    found: Decoded = {}
    if pattern is not None:
        match = pattern.search(text)
        if match is None:
            return None
        found = {k: v for k, v in match.groupdict().items() if v is not None}
    params = options.get("compiled_params")
    if params is not None:
        source = found.get(options.get("params_field", ""), text)
        for key, value in params.findall(source):
            found.setdefault(key, value.strip().strip('"'))
    return found


DECODERS: dict[str, Decoder] = {"kv": kv, "csv": csv, "cef": cef, "leef": leef, "regex": regex}
