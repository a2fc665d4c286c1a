"""One settings tree: every section from `EAMS_<SECTION>_<FIELD>` or the EAMS_CONFIG file, bad values
named, the README's example valid as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eams.cli.common import EXIT_CONFIG
from eams.cli.main import app
from eams.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_sections_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_DATA_DIR", "/srv/eams")
    monkeypatch.setenv("EAMS_INFLUX_URL", "http://127.0.0.1:8086")
    monkeypatch.setenv("EAMS_SNMP_INTERVAL_S", "30")
    monkeypatch.setenv("EAMS_SSH_BACKUP_INTERVAL_S", "7200")
    monkeypatch.setenv("EAMS_TRAP_COMMUNITIES", '["c1", "c2"]')
    monkeypatch.setenv("EAMS_ALERT_RULE_PATHS", "/etc/eams/a.yaml:/etc/eams/rules")
    monkeypatch.setenv("EAMS_COLLECTOR_SILENT_AFTER", "120")
    settings = Settings()
    assert settings.data_dir == Path("/srv/eams")
    assert settings.influx.url == "http://127.0.0.1:8086"
    assert settings.snmp.interval_s == 30
    assert settings.ssh.backup_interval_s == 7200
    assert [c.get_secret_value() for c in settings.trap.communities] == ["c1", "c2"]
    assert settings.alert.rule_paths == [Path("/etc/eams/a.yaml"), Path("/etc/eams/rules")]
    assert (settings.collector.silent_after, settings.collector.check_s) == (120, 30)


def test_the_readme_configuration_example_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.read_text().split("## Configuration", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    config = tmp_path / "eams.yaml"
    config.write_text(example.group(1))
    monkeypatch.setenv("EAMS_CONFIG", str(config))
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://eams@db/eams"
    assert settings.influx.org == "tinh" and settings.snmp.interval_s == 60
    assert settings.trap.listen == "0.0.0.0:162" and settings.alert.rule_paths == [Path("/etc/eams/rules")]


def test_a_bad_value_is_a_sentence_naming_the_variable(tmp_path: Path) -> None:
    env = {"EAMS_DATA_DIR": str(tmp_path), "EAMS_SNMP_INTERVAL_S": "often", "EAMS_SSH_WORKERS": "0"}
    result = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == EXIT_CONFIG
    output = " ".join(result.output.split())
    assert "EAMS_SNMP_INTERVAL_S" in output and "EAMS_SSH_WORKERS" in output
    assert "Traceback" not in result.output
