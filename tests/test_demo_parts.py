"""The demo's parts on their own: how lab recordings are varied, and the data folder it recreates."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eams.demo.lab import CPU_RAMP, vary
from eams.demo.runner import NotADemoFolder, fresh_data_dir
from tests.support.peers import free_port


def test_traffic_counters_grow_and_only_the_faulty_device_gets_the_cpu_ramp() -> None:
    counter = vary("1.3.6.1.2.1.31.1.1.1.6.3|70|123456\n", fault=False)
    assert counter.startswith("1.3.6.1.2.1.31.1.1.1.6.3|70:numeric|initial=123456,rate=")
    assert counter.endswith(",wrap=1\n")
    cpu = "1.3.6.1.2.1.25.3.3.1.2.768|2|13\n"
    assert vary(cpu, fault=True) == f"1.3.6.1.2.1.25.3.3.1.2.768|2:numeric|{CPU_RAMP}\n"
    assert vary(cpu, fault=False) == cpu
    text = "1.3.6.1.2.1.1.5.0|4|host\n"
    assert vary(text, fault=True) == text


def test_a_demo_folder_is_recreated_but_a_foreign_one_is_never_deleted(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    fresh_data_dir(demo)
    (demo / "eams.sqlite3").write_text("old run")
    fresh_data_dir(demo)
    assert not (demo / "eams.sqlite3").exists()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    with pytest.raises(NotADemoFolder, match="was not made by `eams demo`"):
        fresh_data_dir(foreign)
    assert (foreign / "thesis.txt").read_text() == "precious"


def test_the_cli_refuses_a_foreign_data_folder_with_a_sentence(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "eams"),
            "demo",
            "--port",
            str(free_port()),
            "--data-dir",
            str(foreign),
        ],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "was not made by `eams demo`; choose another --data-dir" in done.stderr
    assert "Traceback" not in done.stderr
    assert (foreign / "thesis.txt").exists()


def test_the_demos_syslog_lines_are_what_the_shipped_formats_and_rules_expect() -> None:
    """The demo's lines go through the real parser: five failed FortiGate sign-ins from one address
    (what the burst rule counts), a policy edit, an sshd refusal, each typed without errors."""
    from collectors.syslog.formats import load_formats
    from collectors.syslog.header import parse
    from collectors.syslog.parsing import Parser
    from eams.demo.syslog_feed import ATTACKER, FAILED_SIGN_INS, demo_syslog_lines

    parser = Parser(load_formats())
    now = dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC)
    seen = []
    for device, line in demo_syslog_lines(now):
        header = parse(line.encode(), now)
        parsed = parser.parse(header)
        assert parsed.format is not None and not parsed.type_errors, line
        context = {"device": device, "source": "127.0.0.1", "hostname": device}
        event = Parser.match_event(parsed, header, context)
        assert event is not None, line
        seen.append((device, parsed.format.name, event.name, event.labels.get("src_ip")))
    failed = [s for s in seen if s[:3] == ("dc-fw-01", "fortigate", "admin_login_failed")]
    assert len(failed) == FAILED_SIGN_INS and {s[3] for s in failed} == {ATTACKER}
    assert ("dc-fw-01", "fortigate", "config_changed") in [s[:3] for s in seen]
    # sshd's refusal is a failed sign-in too, from the same address, on another device.
    assert [s for s in seen if s[0] == "dc-srv-mail-01"] == [
        ("dc-srv-mail-01", "linux", "admin_login_failed", ATTACKER)
    ]
    # The FortiGate's own clock is the province's: 21:05 there at 14:05 UTC.
    assert "time=21:05:00" in demo_syslog_lines(now)[0][1]
