"""`eams metrics query DEVICE`: the operator's table of a device's recent metrics, read from the
embedded store's file by a separate process, with Vietnamese headers and English beside them; bad
input is a sentence and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectors.samples import Sample
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.sink import STORE_FILE
from collectors.sinks.store.writer import StoreWriter
from eams.metrics.wiring import measurement_schema
from inventory.db import Database
from inventory.models import Device

EAMS = str(Path(sys.executable).with_name("eams"))
NS = 1_000_000_000
RATE = 7500  # bytes a second on Gi0/1


def eams(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EAMS, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("metrics-cli") / "var"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    found = {**clean, "EAMS_DATA_DIR": str(data), "COLUMNS": "160"}
    assert eams("db", "upgrade", env=found).returncode == 0
    database = Database(f"sqlite:///{data / 'eams.sqlite3'}")
    with database.session() as session:
        session.add(Device(name="sw-lab", role="switch"))
        session.add(Device(name="sw-quiet", role="switch"))
    database.dispose()
    writer = StoreWriter(data / "metrics" / STORE_FILE, MetricsConfig(), measurement_schema())
    first = time.time_ns() - 20 * 60 * NS
    for i in range(20):  # a poll a minute for the last 20 minutes
        writer.ingest(
            [
                Sample(
                    "interface",
                    {"device": "sw-lab", "ifIndex": "1", "ifName": "Gi0/1"},
                    {"in_octets": RATE * 60 * i, "speed_mbps": 1000},
                    time_ns=first + i * 60 * NS,
                    counters=frozenset({"in_octets"}),
                )
            ]
        )
    writer.flush()
    writer.close()
    return found


def words(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_the_table_shows_rates_per_interface_with_bilingual_headers(env: dict[str, str]) -> None:
    result = eams("metrics", "query", "sw-lab", "--field", "interface.in_octets", "--since", "1h", env=env)
    assert result.returncode == 0, result.stderr
    out = words(result)
    for header in ("Đối tượng / Entity", "Trung bình / Mean", "Lớn nhất / Maximum", "Số điểm / Points"):
        assert header in out
    assert "Gi0/1" in out and "interface.in_octets" in out and "B/s" in out
    assert "7.500,00" in out  # the rate, with Vietnamese separators
    assert " 19 " in out  # 20 polls, 19 rates
    raw = words(eams("metrics", "query", "sw-lab", "-f", "interface.in_octets", "--raw", env=env))
    assert f"{RATE * 60 * 19:,}".replace(",", ".") + ",00" in raw  # the last counter as stored


def test_a_device_without_data_says_so(env: dict[str, str]) -> None:
    result = eams("metrics", "query", "sw-quiet", env=env)
    assert result.returncode == 0 and "Không có dữ liệu / No data" in words(result)


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("nobody",), "device 'nobody' is not in the inventory"),
        (("sw-lab", "--since", "1x"), "'1x' is not a duration"),
        (("sw-lab", "--since", "0s"), "since must be longer than zero"),
        (("sw-lab", "-f", "interface.bogus"), "interface has no field 'bogus'"),
        (("sw-lab", "-f", "in_octets"), "is not measurement.field"),
        (("sw-lab", "-f", "nosuch.x"), "no measurement 'nosuch'"),
        (("sw-lab", "-f", "interface.oper_status"), "interface.oper_status is text"),
    ],
)
def test_bad_input_is_a_sentence_and_exit_code_2(
    env: dict[str, str], args: tuple[str, ...], sentence: str
) -> None:
    result = eams("metrics", "query", *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert sentence in words(result) and "Traceback" not in words(result)
