"""Alert texts: the rule's summary template filled with what the inventory knows, in English and
Vietnamese. Placeholders: {device} {agency} {site} {role} {systems} {entity} {value} {threshold}
{rule} {detail}; an unknown placeholder stays visible instead of failing."""

from __future__ import annotations

import string
from typing import Any

from eams.alerts.directory import DeviceInfo

DEFAULT_EN = "{rule} on {device} ({site}, {agency}) {entity}"
DEFAULT_VI = "{rule} trên {device} ({site}, {agency}) {entity}"


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FORMATTER = _Formatter()


def render(template: str, values: dict[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(template, (), _Lenient(values))
    except (IndexError, KeyError, ValueError, AttributeError):
        return template


def texts(
    template_en: str,
    template_vi: str,
    *,
    rule: str,
    device: DeviceInfo,
    entity: str,
    value: float | None,
    threshold: float | None,
    detail: str = "",
) -> tuple[str, str]:
    none_en, none_vi = "none recorded", "chưa ghi nhận"
    values: dict[str, Any] = {
        "rule": rule,
        "device": device.name,
        "agency": device.agency or "-",
        "site": device.site or "-",
        "role": device.role or "-",
        "entity": entity,
        "value": value if value is not None else "-",
        "threshold": threshold if threshold is not None else "-",
        "detail": detail,
    }
    en = render(template_en or DEFAULT_EN, values | {"systems": ", ".join(device.systems) or none_en})
    vi = render(template_vi or DEFAULT_VI, values | {"systems": ", ".join(device.systems) or none_vi})
    return en.strip(), vi.strip()
