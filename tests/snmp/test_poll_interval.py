"""EAMS_SNMP_INTERVAL_S sets how often the service polls each device (`eams demo` uses 5 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from eams.components.snmp import SnmpPollingComponent, snmp_polling_component
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database


def test_the_interval_comes_from_the_environment_and_reaches_the_scheduler(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EAMS_SNMP_POLLING", "on")  # the suite turns polling off by default
    monkeypatch.setenv("EAMS_SNMP_INTERVAL_S", "5")
    services = Services.from_settings(Settings(data_dir=tmp_path, secret_key="k"), db=db)
    component = snmp_polling_component(services)
    assert isinstance(component, SnmpPollingComponent)
    assert component.interval_s == 5.0
    assert component.scheduler.refresh_s == 5.0  # new targets are picked up as fast as they are polled


def test_without_the_variable_devices_are_polled_every_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EAMS_SNMP_INTERVAL_S", raising=False)
    assert Settings().snmp.interval_s == 60.0


def test_polling_can_be_switched_off(tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_SNMP_POLLING", "off")
    services = Services.from_settings(Settings(data_dir=tmp_path, secret_key="k"), db=db)
    assert snmp_polling_component(services) is None


@pytest.mark.parametrize("text", ["often", "0", "0.5", "-3", "nan"])
def test_a_bad_interval_is_refused_naming_the_variable(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_SNMP_INTERVAL_S", text)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [error["loc"] for error in refused.value.errors()] == [("snmp", "interval_s")]
