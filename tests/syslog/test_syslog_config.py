"""The syslog settings: the sample file and the environment form load, a bad value is named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from collectors.pipeline import Pipeline
from collectors.syslog.component import SyslogComponent
from collectors.syslog.config import SyslogConfig
from collectors.syslog.listeners import RawMessage
from eams.components.syslog import preflight
from eams.settings import Settings

SAMPLE = Path(__file__).parents[2] / "collectors" / "syslog" / "sample.yaml"


def test_the_sample_file_is_a_valid_settings_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_CONFIG", str(SAMPLE))
    config = Settings().syslog
    assert config.plain_address() == ("0.0.0.0", 514) and config.tls_address() == ("0.0.0.0", 6514)
    assert config.transports == ["udp", "tcp"] and config.history_max_rows == 2_000_000


def test_environment_variables_reach_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_SYSLOG_LISTEN", "127.0.0.1:5514")
    monkeypatch.setenv("EAMS_SYSLOG_TRANSPORTS", '["tcp"]')
    monkeypatch.setenv("EAMS_SYSLOG_HISTORY_DAYS", "3")
    config = Settings().syslog
    assert (config.listen, config.transports, config.history_days) == ("127.0.0.1:5514", ["tcp"], 3.0)
    assert config.enabled


def test_off_by_default_and_bad_values_are_named() -> None:
    assert SyslogConfig().enabled is False
    with pytest.raises(ValidationError, match="tls_listen needs tls_cert_file and tls_key_file"):
        SyslogConfig(tls_listen="0.0.0.0:6514")
    with pytest.raises(ValidationError, match="listen"):
        SyslogConfig(listen="0.0.0.0:port")


def test_preflight_says_why_it_cannot_listen(tmp_path: Path) -> None:
    missing = SyslogConfig(
        tls_listen="127.0.0.1:0", tls_cert_file=tmp_path / "x.pem", tls_key_file=tmp_path / "k"
    )
    assert preflight(missing) == f"syslog TLS file {tmp_path / 'x.pem'} does not exist"
    assert preflight(SyslogConfig()) is None
    assert preflight(SyslogConfig(listen="127.0.0.1:0")) is None


def test_the_zone_of_rfc3164_times_is_a_setting_vietnam_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SyslogConfig().legacy_timezone == "Asia/Ho_Chi_Minh"
    monkeypatch.setenv("EAMS_SYSLOG_LEGACY_TIMEZONE", "UTC")
    assert Settings().syslog.legacy_zone == ZoneInfo("UTC")
    with pytest.raises(ValidationError, match="legacy_timezone") as bad:
        SyslogConfig(legacy_timezone="Asia/Hanoi-City")
    assert "is not a time zone name" in str(bad.value)


def test_the_intake_reads_rfc3164_times_in_the_configured_zone() -> None:
    config = SyslogConfig(listen="127.0.0.1:0")
    component = SyslogComponent(config, Pipeline())
    raw = RawMessage(b"<38>Jan  1 06:59:00 srv-01 sshd[1]: x", "10.0.0.9", 514, "udp", 1_767_225_600 * 10**9)
    record, _ = component.processor.process(raw)
    assert record.device_time == datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
