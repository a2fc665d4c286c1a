"""Alert texts of dates: DD/MM/YYYY, and "ended on" once the date has passed (a warranty that ended
in 2020 does not "end on 2020-12-31")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from eams.alerts.directory import DeviceInfo
from eams.alerts.messages import texts

TODAY = dt.date(2026, 12, 1)
DEVICE = DeviceInfo(id=1, name="dc-srv-01")
DEFAULTS = Path(__file__).resolve().parents[2] / "eams" / "alerts" / "rules" / "defaults.yaml"


def summary(rule_name: str) -> tuple[str, str]:
    rules = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))["rules"]
    [rule] = [r for r in rules if r["name"] == rule_name]
    return rule["summary"]["en"], rule["summary"]["vi"]


def test_a_date_to_come_ends_on_and_a_past_one_ended_on() -> None:
    en, vi = summary("warranty-ending")
    coming = texts(
        en,
        vi,
        rule="w",
        device=DEVICE,
        entity="",
        value=None,
        threshold=None,
        detail="2027-03-31",
        today=TODAY,
    )
    assert coming == (
        "Warranty of dc-srv-01 ends on 31/03/2027",
        "Bảo hành của dc-srv-01 hết hạn ngày 31/03/2027",
    )
    past = texts(
        en,
        vi,
        rule="w",
        device=DEVICE,
        entity="",
        value=None,
        threshold=None,
        detail="2020-12-31",
        today=TODAY,
    )
    assert past == (
        "Warranty of dc-srv-01 ended on 31/12/2020",
        "Bảo hành của dc-srv-01 đã hết hạn ngày 31/12/2020",
    )


def test_every_date_rule_says_when_in_the_right_tense() -> None:
    for name in (
        "warranty-ending",
        "end-of-support",
        "licence-expiring",
        "support-contract-ending",
        "service-lease-ending",
    ):
        en, vi = summary(name)
        past_en, past_vi = texts(
            en,
            vi,
            rule=name,
            device=DEVICE,
            entity="",
            value=None,
            threshold=None,
            detail="2020-12-31",
            today=TODAY,
        )
        assert "ended on 31/12/2020" in past_en and "đã hết hạn ngày 31/12/2020" in past_vi, name


def test_the_log_channel_prints_each_heading_once(caplog) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import logging

    from eams.alerts.notify.base import Notification
    from eams.alerts.notify.log import LogChannel, LogConfig

    payload = {
        "title": "[FIRING:1] warranty-ending dc-srv-01",
        "title_vi": "[CẢNH BÁO:1] warranty-ending dc-srv-01",
        "alerts": [
            {"state": "firing", "severity": "info", "summary": "Warranty ...", "summary_vi": "Bảo hành ..."}
        ],
    }
    with caplog.at_level(logging.INFO, logger="eams.alerts.notifications"):
        asyncio.run(LogChannel(LogConfig()).send(Notification("log", "k", payload)))
    text = caplog.text
    assert text.count("[FIRING:1] warranty-ending dc-srv-01") == 1
    assert text.count("[CẢNH BÁO:1] warranty-ending dc-srv-01") == 1
