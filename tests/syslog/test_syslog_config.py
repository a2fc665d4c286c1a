"""The syslog settings: the sample file and the environment form load, a bad value is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from collectors.syslog.config import SyslogConfig
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
