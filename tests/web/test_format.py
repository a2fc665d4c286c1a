"""How pages and exports write dates, times, numbers and money for Vietnamese readers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from eams.i18n import normalise_language
from eams.i18n.format import format_bits_per_second, format_date, format_datetime, format_number, format_vnd


def test_dates_are_day_month_year() -> None:
    assert format_date(dt.date(2026, 3, 7)) == "07/03/2026"
    assert format_date("2026-12-31") == "31/12/2026"
    assert format_date(None) == ""


def test_times_are_shown_in_ho_chi_minh_city() -> None:
    # 20:30 UTC is 03:30 the next morning in Asia/Ho_Chi_Minh (UTC+7).
    moment = dt.datetime(2026, 1, 31, 20, 30, tzinfo=dt.UTC)
    assert format_datetime(moment) == "01/02/2026 03:30"
    # SQLite hands stored UTC times back naive.
    assert format_datetime(moment.replace(tzinfo=None), seconds=True) == "01/02/2026 03:30:00"


def test_money_in_dong_with_dots_between_thousands() -> None:
    assert format_vnd(Decimal("1250000000")) == "1.250.000.000 ₫"
    assert format_vnd(999) == "999 ₫"
    assert format_number(1234.5, 1) == "1.234,5"


def test_rates_in_bits_per_second() -> None:
    assert format_bits_per_second(2_500_000) == "2,5 Mbit/s"
    assert format_bits_per_second(10e9) == "10,0 Gbit/s"


def test_language_from_a_cookie_or_a_header_falls_back_to_vietnamese() -> None:
    assert normalise_language("en") == "en"
    assert normalise_language("fr-FR,en;q=0.8") == "en"
    assert normalise_language("de") == "vi"
    assert normalise_language(None) == "vi"
