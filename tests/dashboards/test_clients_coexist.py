"""The Grafana client (`dashboards.push`, plain httpx) and influxdb-client work in one process.

grafana-client 4.x/5.x depend on urllib3-future, which replaces urllib3 when the interpreter
starts and breaks influxdb-client; that is why the push uses httpx. This test imports the push
client first, then writes with influxdb-client to a real VictoriaMetrics and reads the point back.
"""

from __future__ import annotations

import importlib.metadata
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.peer("victoria-metrics")
QUERY = '{__name__="collector_spooled_bytes"}'


def test_influxdb_client_writes_after_the_grafana_client_is_imported(tmp_path: Path) -> None:
    from influxdb_client import InfluxDBClient, Point
    from influxdb_client.client.write_api import SYNCHRONOUS

    import dashboards.push  # noqa: F401  (the Grafana client, imported first on purpose)
    import eams.cli.dashboards  # noqa: F401
    from tests.support.peers import wait_until
    from tests.support.tsdb import victoria_metrics

    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("urllib3-future")
    with victoria_metrics(tmp_path / "vm") as vm, InfluxDBClient(url=vm.url, token="-", org="-") as client:
        point = Point("collector").tag("component", "coexist").field("spooled_bytes", 42).time(time.time_ns())
        client.write_api(write_options=SYNCHRONOUS).write(bucket="eams", record=point)
        # Points newer than VictoriaMetrics' latency offset (1 s) are not searchable yet.
        wait_until(lambda: bool(vm.export(QUERY)), 15, "the point in VictoriaMetrics", interval=0.2)
        series = vm.export(QUERY)
    assert [s["values"] for s in series] == [[42]]
    assert series[0]["metric"]["component"] == "coexist"
