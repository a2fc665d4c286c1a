"""`eams snmp poll`: the operator's debugging tool, against a real snmpd."""

from __future__ import annotations

import json

from click.testing import Result
from typer.testing import CliRunner

from eams.cli.main import app
from tests.support.peers import free_udp_port
from tests.support.snmp_agents import Agent

runner = CliRunner()


def said(result: Result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_poll_prints_samples_as_json(snmpd: Agent) -> None:
    result = runner.invoke(app, ["snmp", "poll", snmpd.address, "--community", "public"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["device"]["sys_name"] == "eams-test-agent"
    assert document["device"]["sys_descr"].startswith("Linux ")
    assert document["device"]["sys_object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert document["profile"]["name"] == "net-snmp-linux"
    assert document["profile"]["why"] == "sysObjectID starts with 1.3.6.1.4.1.8072.3.2.10"
    assert "entity-sensor" in document["profile"]["fallback_profiles"]
    assert "entity_sensor" in document["profile"]["not_answered"]  # net-snmp has no ENTITY-SENSOR
    samples = document["samples"]
    interface = next(s for s in samples if s["measurement"] == "interface")
    assert "in_octets" in interface["counters"] and isinstance(interface["fields"]["in_octets"], int)
    status = samples[-1]
    assert status["measurement"] == "collector" and status["fields"]["reachable"] is True


def test_poll_prints_line_protocol_with_v3(snmpd: Agent) -> None:
    args = ["--v3-user", "labv3", "--auth-proto", "sha", "--auth-key", "authpass123"]
    args += ["--priv-proto", "aes", "--priv-key", "privpass123", "--format", "line", "--engine", "snmpkit"]
    result = runner.invoke(app, ["snmp", "poll", snmpd.address, *args])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# Tên thiết bị / sysName: eams-test-agent"
    assert lines[3] == "# Hồ sơ / profile: net-snmp-linux (sysObjectID starts with 1.3.6.1.4.1.8072.3.2.10)"
    assert any(line.startswith("ucd_memory,device=127.0.0.1 total_kib=") for line in lines)
    assert lines[-1].startswith("collector,component=snmp,device=127.0.0.1 reachable=true")


def test_bad_input_is_a_sentence_and_an_exit_code(snmpd: Agent) -> None:
    wrong_key = runner.invoke(
        app,
        [
            "snmp",
            "poll",
            snmpd.address,
            "--v3-user",
            "labv3",
            "--auth-proto",
            "SHA",
            "--auth-key",
            "wrongkey1",
        ],
    )
    assert wrong_key.exit_code == 5 and "rejected the SNMPv3 credentials" in said(wrong_key)
    silent = runner.invoke(
        app, ["snmp", "poll", f"127.0.0.1:{free_udp_port()}", "--timeout", "0.3", "--retries", "0"]
    )
    assert silent.exit_code == 4 and "did not answer" in said(silent)
    bad_port = runner.invoke(app, ["snmp", "poll", "127.0.0.1:http"])
    assert bad_port.exit_code == 2 and "is not a port number" in said(bad_port)
    unknown_profile = runner.invoke(app, ["snmp", "poll", snmpd.address, "--profile", "nope"])
    assert unknown_profile.exit_code == 2 and "no profile named 'nope'" in said(unknown_profile)
    both = runner.invoke(app, ["snmp", "poll", snmpd.address, "--community", "c", "--v3-user", "u"])
    assert both.exit_code == 2 and "not both" in said(both)
    assert "Traceback" not in said(wrong_key) + silent.output + bad_port.output
