"""`eams alerts check` and `eams alerts test-receiver` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from eams.alerts.rules.loader import DEFAULT_RULES
from eams.cli.main import app
from eams.services import Services
from tests.alerts.conftest import save_routing
from tests.alerts.receivers import SmtpServer


@pytest.fixture
def cli_env(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("EAMS_DATABASE_URL", services.settings.resolved_database_url)
    monkeypatch.setenv("EAMS_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("EAMS_SECRET_KEY", "test-secret-key")
    return services


def test_check_lists_valid_rules_and_names_the_first_problem(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["alerts", "check", str(DEFAULT_RULES)])
    assert good.exit_code == 0 and "device-unreachable: unreachable, critical, operational" in good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {name: x, kind: threshold, measurement: cpu, field: u, value: 1, op: '=>'}\n")
    refused = runner.invoke(app, ["alerts", "check", str(bad)])
    assert refused.exit_code == 1 and "rule x: op:" in refused.output
    assert runner.invoke(app, ["alerts", "check", str(tmp_path / "none.yaml")]).exit_code == 2


def test_test_receiver_sends_through_the_configured_mail_relay(cli_env: Services, smtp: SmtpServer) -> None:
    save_routing(
        cli_env,
        {"receivers": [{"name": "noc-mail", "email": smtp.config()}], "route": {"receiver": "noc-mail"}},
    )
    runner = CliRunner()
    sent = runner.invoke(app, ["alerts", "test-receiver", "noc-mail"])
    assert sent.exit_code == 0, sent.output
    [mail] = smtp.received
    assert mail.over_tls and mail.message["Subject"].startswith("[TEST] eams notification test")
    unknown = runner.invoke(app, ["alerts", "test-receiver", "nobody"])
    assert unknown.exit_code == 2 and "noc-mail" in unknown.output
    smtp.stop()
    down = runner.invoke(app, ["alerts", "test-receiver", "noc-mail"])
    assert down.exit_code == 4 and "noc-mail (email) failed" in down.output
