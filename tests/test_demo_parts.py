"""The demo's parts on their own: how lab recordings are varied, and the data folder it recreates."""

from __future__ import annotations

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
