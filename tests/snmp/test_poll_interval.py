"""EAMS_SNMP_INTERVAL_S sets how often the service polls each device (`eams demo` uses 5 s)."""

from __future__ import annotations

import logging

import pytest

from collectors.snmp.component import SnmpPollingComponent, poll_interval_s, snmp_polling_component
from eams.services import Services


def test_the_interval_comes_from_the_environment_and_reaches_the_scheduler(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EAMS_SNMP_POLLING", "on")  # the suite turns polling off by default
    monkeypatch.setenv("EAMS_SNMP_INTERVAL_S", "5")
    component = snmp_polling_component(services)
    assert isinstance(component, SnmpPollingComponent)
    assert component.interval_s == 5.0
    assert component.scheduler.refresh_s == 5.0  # new targets are picked up as fast as they are polled


def test_without_the_variable_devices_are_polled_every_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EAMS_SNMP_INTERVAL_S", raising=False)
    assert poll_interval_s() == 60.0


@pytest.mark.parametrize("text", ["often", "0", "0.5", "-3", "nan"])
def test_a_bad_interval_is_reported_and_the_default_kept(
    text: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EAMS_SNMP_INTERVAL_S", text)
    with caplog.at_level(logging.ERROR, logger="collectors.snmp.component"):
        assert poll_interval_s() == 60.0
    assert f"EAMS_SNMP_INTERVAL_S={text!r} is not a number of seconds >= 1" in caplog.text
