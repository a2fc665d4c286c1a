"""Help a newcomer can read: values named TEXT, INTEGER, RANGES... (not Python types), nothing after
a flag, `-h` as well as `--help`; and an error sentence printed as written (brackets included)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eams.cli.common import fail
from eams.cli.help_format import readable_label
from eams.cli.main import app

COMMANDS = [
    ["--help"],
    ["discover", "--help"],
    ["ssh", "backup", "--help"],
    ["token", "create", "--help"],
    ["demo", "--help"],
    ["dashboards", "push", "--help"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help_shows_words_not_python_types(args: list[str]) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for python_type in ("<bool>", "<list[", "<int", "<float", "<str>", "{"):
        assert python_type not in result.output, python_type


def test_discover_help_names_its_values() -> None:
    output = CliRunner().invoke(app, ["discover", "--help"], env={"COLUMNS": "120"}).output
    assert "RANGES..." in output and "INTEGER" in output and "NUMBER" in output


@pytest.mark.parametrize("args", [["-h"], ["token", "-h"], ["discover", "-h"]])
def test_dash_h_is_help(args: list[str]) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_labels() -> None:
    assert readable_label("<list[str]>") == "TEXT"
    assert readable_label("<int range>") == "INTEGER"
    assert readable_label("<bool>") is None
    assert readable_label("<snmp_v2c|snmp_v3>") == "[snmp_v2c|snmp_v3]"


def test_an_error_sentence_keeps_its_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    fail("the recordings are not installed: pip install 'eams[demo]'")
    assert "pip install 'eams[demo]'" in capsys.readouterr().err
