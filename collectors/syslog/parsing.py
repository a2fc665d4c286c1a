"""One message through the formats: which format takes it, its typed fields, the device names it
carries, and the first event of that format whose conditions hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.syslog.formats import CompiledEvent, FieldType, Format, render, template_fields, typed
from collectors.syslog.header import Header

MAX_LABEL_CHARS = 200


@dataclass(slots=True)
class MatchedEvent:
    name: str  # e.g. admin_login_failed
    severity: str
    category: str
    message: str
    labels: dict[str, str]


@dataclass(slots=True)
class Parsed:
    format: Format | None
    fields: dict[str, Any] = field(default_factory=dict)
    type_errors: list[str] = field(default_factory=list)
    hostnames: list[str] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    severity: int | None = None  # from the vendor's own level, when the format maps it
    event: MatchedEvent | None = None

    @property
    def vendor(self) -> str | None:
        return self.format.vendor if self.format else None


class Parser:
    def __init__(self, formats: list[Format]) -> None:
        self.formats = formats

    def parse(self, header: Header) -> Parsed:
        text = header.text
        for fmt in self.formats:
            if not fmt.takes(text, header.app_name):
                continue
            decoded = fmt.decode(text)
            if decoded is None:
                continue
            return self._typed(fmt, decoded, header)
        return Parsed(format=None)

    def _typed(self, fmt: Format, decoded: dict[str, str], header: Header) -> Parsed:
        spec = fmt.spec
        values, bad = typed(decoded, spec.fields)
        parsed = Parsed(format=fmt, fields=values, type_errors=bad)
        parsed.hostnames = [str(values[k]) for k in spec.hostname_fields if values.get(k)]
        parsed.serials = [str(values[k]) for k in spec.serial_fields if values.get(k)]
        if spec.severity_field and (level := values.get(spec.severity_field)) is not None:
            key = str(level).lower()
            parsed.severity = spec.severity_map.get(key, parsed.severity)
        return parsed

    @staticmethod
    def match_event(parsed: Parsed, header: Header, context: dict[str, Any]) -> MatchedEvent | None:
        """The first event of the format whose `when` holds and whose `extract` finds something.
        `context` holds device, source, hostname for the templates."""
        if parsed.format is None:
            return None
        fields = parsed.fields
        for compiled in parsed.format.event_index.candidates(fields):
            values = _event_values(compiled, fields, header, parsed.format.spec.fields)
            if values is None:
                continue
            spec = compiled.spec
            values.update(context)
            if isinstance(spec.severity, str):
                severity = spec.severity
            else:
                level = str(values.get(spec.severity.field, "")).lower()
                severity = spec.severity.map.get(level, spec.severity.default)
            labels = {
                key: render(template, values)[:MAX_LABEL_CHARS]
                for key, template in spec.labels.items()
                if all(values.get(name) not in (None, "") for name in template_fields(template))
            }
            # Fields an event's extract found belong to the record too (searchable, in the API).
            for key, value in values.items():
                if key not in context:
                    fields.setdefault(key, value)
            return MatchedEvent(spec.event, severity, spec.category, render(spec.message, values), labels)
        return None


def _event_values(
    compiled: CompiledEvent, fields: dict[str, Any], header: Header, types: dict[str, FieldType]
) -> dict[str, Any] | None:
    """The values for the event's templates, or None when its `extract` finds nothing (its `when`
    was checked by the format's event index)."""
    if compiled.extract is None:
        return dict(fields)
    source = (
        header.text
        if compiled.spec.extract_from == "text"
        else str(fields.get(compiled.spec.extract_from, ""))
    )
    found = compiled.extract.search(source)
    if found is None:
        return None
    extracted, _ = typed({k: v for k, v in found.groupdict().items() if v is not None}, types)
    return {**fields, **extracted}
