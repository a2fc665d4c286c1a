"""How pages and exports write dates, times, numbers and money for Vietnamese readers:
DD/MM/YYYY, times in Asia/Ho_Chi_Minh, `.` between thousands, VND as `1.250.000.000 ₫`."""

from __future__ import annotations

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def local(moment: dt.datetime) -> dt.datetime:
    # Stored times are UTC; SQLite hands them back naive.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(LOCAL_ZONE)


def format_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | str | None, *, seconds: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return local(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def format_number(value: int | float | decimal.Decimal | None, decimals: int = 0) -> str:
    """1250000.5 -> '1.250.000,5' with `decimals=1`: Vietnamese separators."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_vnd(value: int | float | decimal.Decimal | None) -> str:
    if value is None:
        return ""
    return f"{format_number(round(decimal.Decimal(str(value))))} ₫"


def format_bits_per_second(value: float | None) -> str:
    if value is None:
        return ""
    for unit, size in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if abs(value) >= size:
            return f"{format_number(value / size, 1)} {unit}"
    return f"{format_number(value)} bit/s"
