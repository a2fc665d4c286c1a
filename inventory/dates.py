"""Dates as people write them: ISO (2027-12-31) or the day/month/year of Vietnamese forms and
spreadsheets (31/12/2027, 31.12.2027). Shared by the JSON bodies and the CSV import."""

from __future__ import annotations

import datetime as dt
import re

_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def day_month_year(text: str) -> dt.date | None:
    """The date of a DD/MM/YYYY string; None when `text` is not written that way.
    A day or month out of range (31/13/2027) is a ValueError."""
    match = _DAY_MONTH_YEAR.fullmatch(text.strip())
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: {exc_reason(day, month)}") from None


def exc_reason(day: int, month: int) -> str:
    return f"there is no month {month}" if not 1 <= month <= 12 else f"that month has no day {day}"


def parse_date(text: str) -> dt.date | None:
    """ISO dates, or DD/MM/YYYY; empty text is no date."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    found = day_month_year(text)
    if found is None:
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD or DD/MM/YYYY")
    return found
