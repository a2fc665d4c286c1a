"""Alert texts: the rule's summary template filled with what the inventory knows, in English and
Vietnamese. Placeholders: {device} {agency} {site} {role} {systems} {entity} {value} {threshold}
{rule} {detail}, and for a date (inventory rules) {ends_on}: "ends on 31/12/2027", or "ended on
31/12/2020" once it has passed ("hết hạn ngày" / "đã hết hạn ngày"); a date in {detail} is shown
DD/MM/YYYY. An unknown placeholder stays visible instead of failing."""

from __future__ import annotations

import datetime as dt
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
    today: dt.date | None = None,
) -> tuple[str, str]:
    none_en, none_vi = "none recorded", "chưa ghi nhận"
    when = _iso_date(detail)
    ends_en = ends_vi = ""
    if when is not None:
        detail = when.strftime("%d/%m/%Y")
        past = when < (today or dt.date.today())
        ends_en = f"ended on {detail}" if past else f"ends on {detail}"
        ends_vi = f"đã hết hạn ngày {detail}" if past else f"hết hạn ngày {detail}"
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
    systems = ", ".join(device.systems)
    en = render(template_en or DEFAULT_EN, values | {"systems": systems or none_en, "ends_on": ends_en})
    vi = render(template_vi or DEFAULT_VI, values | {"systems": systems or none_vi, "ends_on": ends_vi})
    return en.strip(), vi.strip()


def _iso_date(detail: str) -> dt.date | None:
    if len(detail) != 10:
        return None
    try:
        return dt.date.fromisoformat(detail)
    except ValueError:
        return None
