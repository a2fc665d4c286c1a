"""Encode `Sample`s as InfluxDB line protocol: `measurement,tag=v field=1i 1700000000000000000`.

Follows the line-protocol reference shared by InfluxDB 1.x, 2.x and 3.x:

- measurement: commas and spaces escaped; tag keys, tag values and field keys: commas, equals
  signs and spaces escaped. Newline, carriage return and tab cannot appear there and are written
  as the two characters `\\n`, `\\r`, `\\t` (as influxdb-client does). A run of backslashes that
  would otherwise swallow the next separator (before a special character or at the end) is
  doubled, so that a Windows `hrStorageDescr` such as `C:\\ Label:` never breaks the line
  (InfluxDB 1.x, checked against 1.6, then stores that backslash doubled). Trailing
  backslashes are removed (`A:\\` becomes `A:`): InfluxDB 1.x rejects a tag ending in one.
- string field values are double-quoted with `"` and `\\` escaped;
- integers get the `i` suffix and must fit in a signed 64-bit integer, floats are written in
  Python's shortest round-trip form, booleans as `true`/`false`; a bool is never an integer;
- timestamps are integer nanoseconds (write with precision `ns`);
- tags are sorted by key; empty tag keys or values are dropped (InfluxDB has no empty tags);
- NaN and infinite floats, integers out of the int64 range and values of unsupported types are
  dropped and counted; a point left without fields is not written and counted.

InfluxDB rejects a field whose type changes (an integer field then receiving a float), and rejects
the whole batch's conflicting points with it. The encoder therefore remembers the type of every
(measurement, field) it has written in this process: an integer arriving for a float field is
written as a float, an integral float arriving for an integer field as an integer, anything else
that would change the type is dropped and counted (`type_conflicts`) with one log line per field.

This is the hot path (5,000 devices x 90 varbinds every 20 s): series keys and escaped strings
that repeat from poll to poll are cached (bounded), and a field already seen with a value of its
type takes a one-lookup fast path; `bench/sink` measures it against influxdb-client's own `Point`
encoding.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from collectors.samples import FieldValue, Sample

log = logging.getLogger(__name__)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_ESCAPE_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n", "\r": r"\r", "\t": r"\t"})
_ESCAPE_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n", "\r": r"\r", "\t": r"\t"})
_ESCAPE_STRING_FIELD = str.maketrans({'"': r"\"", "\\": r"\\"})
# Backslashes directly before a character we escape (or at the very end) would pair with our
# escape backslash and change where the parser splits the line.
_BACKSLASHES_BEFORE_SPECIAL = re.compile(r"(\\+)(?=[, =\n\r\t])")
_NEEDS_ESCAPE_KEY = re.compile(r"[, =\n\r\t\\]")
_NEEDS_ESCAPE_MEASUREMENT = re.compile(r"[, \n\r\t\\]")

# Kinds of field values, as InfluxDB types them.
INTEGER, FLOAT, STRING, BOOLEAN = "integer", "float", "string", "boolean"

# Caches keep the first entries they see and then stop growing (rather than being cleared, which
# in an estate bigger than the cache would evict every entry before it is used again). About
# 1 KB per series and 100 bytes per string: at most ~50 MB and ~20 MB.
_SERIES_CACHE_LIMIT = 50_000
_ESCAPE_CACHE_LIMIT = 100_000
_PYTHON_TYPES: dict[str, type] = {INTEGER: int, FLOAT: float, STRING: str, BOOLEAN: bool}


def _double_backslashes(match: re.Match[str]) -> str:
    return match.group(1) * 2


def escape_measurement(name: str) -> str:
    if not _NEEDS_ESCAPE_MEASUREMENT.search(name):
        return name
    if "\\" in name:
        name = _BACKSLASHES_BEFORE_SPECIAL.sub(_double_backslashes, name.rstrip("\\"))
    return name.translate(_ESCAPE_MEASUREMENT)


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key."""
    if not _NEEDS_ESCAPE_KEY.search(text):
        return text
    if "\\" in text:
        text = _BACKSLASHES_BEFORE_SPECIAL.sub(_double_backslashes, text.rstrip("\\"))
    return text.translate(_ESCAPE_KEY)


def escape_string_field(text: str) -> str:
    """The quoted form of a string field value (quotes included)."""
    return '"' + text.translate(_ESCAPE_STRING_FIELD) + '"'


@dataclass
class EncodeStats:
    """What the encoder had to leave out, since the process started. All counters only grow."""

    points: int = 0
    non_finite_fields: int = 0  # NaN, +inf, -inf
    out_of_range_fields: int = 0  # integers beyond int64
    invalid_fields: int = 0  # unsupported value type or empty field key
    type_conflicts: int = 0  # would have changed a field's type
    coerced_fields: int = 0  # int written as float (or integral float as int) to keep the type
    empty_points: int = 0  # nothing left to write (no valid field, or no measurement)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _EscapeCache(dict[str, str]):
    """Escaped forms of strings that repeat every poll (bounded, see _ESCAPE_CACHE_LIMIT)."""

    def __init__(self, escape: Callable[[str], str]) -> None:
        super().__init__()
        self._escape = escape

    def __missing__(self, raw: str) -> str:
        escaped = self._escape(raw)
        if len(self) < _ESCAPE_CACHE_LIMIT:
            self[raw] = escaped
        return escaped


class LineEncoder:
    """Turns samples into lines; one instance per sink (it holds the field-type registry)."""

    def __init__(self) -> None:
        self.stats = EncodeStats()
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._keys = _EscapeCache(escape_key)
        self._tag_values = _EscapeCache(escape_key)
        # measurement -> field key -> kind, as first written by this process.
        self._field_kinds: dict[str, dict[str, str]] = {}
        # measurement -> field key -> (escaped "key=", the Python type of its registered kind).
        self._fast_fields: dict[str, dict[str, tuple[str, type]]] = {}
        self._warned: set[tuple[str, str]] = set()

    def field_kind(self, measurement: str, field_key: str) -> str | None:
        """The type this encoder writes `measurement.field_key` as, or None if never seen."""
        return self._field_kinds.get(measurement, {}).get(field_key)

    def encode(self, sample: Sample) -> str | None:
        """One line without the trailing newline, or None when nothing of the sample is writable."""
        measurement = sample.measurement
        tags = sample.tags
        # The same device, interface or disk comes back every poll with the same tags.
        series = (measurement, tuple(tags.items()))
        head = self._series.get(series)
        if head is None:
            head = self._series_head(measurement, tags)
            if len(self._series) < _SERIES_CACHE_LIMIT:
                self._series[series] = head
        if not head:
            self.stats.empty_points += 1
            return None
        fields = self._encode_fields(measurement, sample.fields)
        if not fields:
            self.stats.empty_points += 1
            return None
        self.stats.points += 1
        return f"{head} {fields} {sample.time_ns}"

    def _series_head(self, measurement: str, tags: Mapping[str, str]) -> str:
        """`measurement,k=v,...` with tags sorted and escaped; empty if the measurement is."""
        head = escape_measurement(measurement) if measurement else ""
        if not head:
            return ""
        parts = [head]
        for key in sorted(tags):
            value = tags[key]
            if key and value:
                escaped_key = self._keys[key]
                escaped_value = self._tag_values[value]
                # A key or value made only of backslashes escapes to nothing: no such tag.
                if escaped_key and escaped_value:
                    parts.append(escaped_key + "=" + escaped_value)
        return ",".join(parts)

    def encode_lines(self, samples: Iterable[Sample]) -> list[str]:
        encode = self.encode
        return [line for line in map(encode, samples) if line is not None]

    def encode_batch(self, samples: Iterable[Sample]) -> bytes:
        """The request body for a write: lines separated by newlines, UTF-8, empty if none."""
        return "\n".join(self.encode_lines(samples)).encode()

    def _encode_fields(self, measurement: str, fields: Mapping[str, FieldValue]) -> str:
        # Fast path: a field seen before, with a value of exactly its registered type, needs one
        # dict lookup for its escaped `key=` prefix and its type; everything else takes the slow path.
        known = self._fast_fields.get(measurement)
        if known is None:
            known = self._fast_fields[measurement] = {}
        parts: list[str] = []
        for key, value in fields.items():
            entry = known.get(key)
            kind_of_value = type(value)
            if entry is not None and kind_of_value is entry[1]:
                if kind_of_value is float:
                    if value - value == 0.0:  # type: ignore[operator]  # false for NaN and ±inf
                        parts.append(entry[0] + repr(value))
                        continue
                elif kind_of_value is int:
                    if INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
                        parts.append(f"{entry[0]}{value}i")
                        continue
                elif kind_of_value is str:
                    parts.append(entry[0] + escape_string_field(value))  # type: ignore[arg-type]
                    continue
                else:
                    parts.append(entry[0] + ("true" if value else "false"))
                    continue
            text = self._encode_field(measurement, key, value)
            if text is not None:
                parts.append(text)
        return ",".join(parts)

    def _encode_field(self, measurement: str, key: str, value: FieldValue) -> str | None:
        """`key=value` for one field, registering its type on first sight; None (counted) if dropped."""
        kind_of_value = type(value)
        # Exact type checks first (bool is a subclass of int).
        if kind_of_value is float:
            kind = FLOAT
        elif kind_of_value is int:
            kind = INTEGER
        elif kind_of_value is str:
            kind = STRING
        elif kind_of_value is bool:
            kind = BOOLEAN
        else:
            subclass_kind = _kind_of_subclass(value)
            if subclass_kind is None:
                self.stats.invalid_fields += 1
                return None
            kind = subclass_kind
        escaped_key = self._keys[key]
        if not escaped_key:
            self.stats.invalid_fields += 1
            return None
        kinds = self._field_kinds.setdefault(measurement, {})
        registered = kinds.get(key)
        if registered is None:
            kinds[key] = registered = kind
            self._fast_fields.setdefault(measurement, {})[key] = (escaped_key + "=", _PYTHON_TYPES[kind])
        elif registered != kind:
            reconciled = self._reconcile(measurement, key, registered, kind, value)
            if reconciled is None:
                return None
            value, kind = reconciled, registered
        if kind == FLOAT:
            number = float(value)
            if not math.isfinite(number):
                self.stats.non_finite_fields += 1
                return None
            text = repr(number)
        elif kind == INTEGER:
            integer = int(value)
            if not INT64_MIN <= integer <= INT64_MAX:
                self.stats.out_of_range_fields += 1
                return None
            text = f"{integer}i"
        elif kind == STRING:
            text = escape_string_field(str(value))
        else:
            text = "true" if value else "false"
        return escaped_key + "=" + text

    def _reconcile(
        self, measurement: str, key: str, known: str, kind: str, value: FieldValue
    ) -> FieldValue | None:
        """A value whose type differs from the field's: convert it losslessly, or drop it."""
        if kind == FLOAT and not math.isfinite(float(value)):
            self.stats.non_finite_fields += 1
            return None
        if known == FLOAT and kind == INTEGER:
            self.stats.coerced_fields += 1
            return float(value)
        if known == INTEGER and kind == FLOAT and isinstance(value, float) and value.is_integer():
            self.stats.coerced_fields += 1
            return int(value)
        self.stats.type_conflicts += 1
        if (measurement, key) not in self._warned:
            self._warned.add((measurement, key))
            log.warning(
                "field %s.%s is %s but a sample carried a %s (%r); dropped, InfluxDB would reject it",
                measurement,
                key,
                known,
                kind,
                value,
            )
        return None


def _kind_of_subclass(value: object) -> str | None:
    # Subclasses (IntEnum, str enums, numpy-free float subclasses) keep their base type's kind.
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STRING
    return None


def encode_samples(samples: Iterable[Sample]) -> list[str]:
    """Lines for `samples` with a fresh encoder (for one-off use: the CLI, tests, debugging)."""
    return LineEncoder().encode_lines(samples)
