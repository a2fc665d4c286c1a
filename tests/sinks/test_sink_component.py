"""The sink runs with the service: built from settings, fed by the pipeline, flushed on stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collectors.sinks.influx import SpoolingInfluxSink
from eams.api.app import create_app
from eams.components.sinks import EXTRAS_KEY, service_influx_sink
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from inventory.models import Role
from tests.conftest import TokenFactory, auth
from tests.sinks import realistic
from tests.support.peers import wait_until
from tests.support.tsdb import VictoriaMetrics


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    yield server
    server.stop()


def test_without_an_influx_url_the_sink_only_spools(settings: Settings) -> None:
    assert settings.influx.target() is None
    sink = service_influx_sink(settings)
    assert sink.state().configured is False
    assert sink.spool.directory == settings.spool_dir / "influx"


def test_influx_settings_become_the_write_target(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        influx={
            "url": "http://127.0.0.1:8086",
            "token": "user:password",
            "org": "-",
            "bucket": "telegraf/autogen",
            "timeout": 3,
        },
    )
    target = settings.influx.target()
    assert target is not None
    assert (target.url, target.token, target.org, target.bucket, target.timeout) == (
        "http://127.0.0.1:8086",
        "user:password",
        "-",
        "telegraf/autogen",
        3,
    )


def test_the_service_writes_published_samples_and_flushes_them_on_stop(
    vm: VictoriaMetrics, tmp_path: Path, database_url: str, db: Database
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="k",
        influx={"url": vm.url, "token": "t"},
    )
    services = Services.from_settings(settings, db=db)
    polls = realistic.polls(2)
    with TestClient(create_app(services)) as client:
        sink = services.extras[EXTRAS_KEY]
        assert isinstance(sink, SpoolingInfluxSink)
        for samples in polls:
            client.portal.call(services.pipeline.publish_samples, samples)  # type: ignore[union-attr]
    # Stopping the service flushed what was still buffered.
    state = sink.state()
    assert state.queued_bytes == 0 and state.spooled_batches == 0
    assert state.written_points == sum(len(samples) for samples in polls) + 1  # + its own collector point
    assert len(vm.export('{__name__="interface_ifHCInOctets"}')) == 12
    # Its own state point is stamped "now": searchable after VictoriaMetrics' 1 s latency offset.
    wait_until(lambda: bool(vm.export('{__name__="collector_written_points"}')), 10, "the collector point")
    collector = vm.export('{__name__="collector_written_points"}')
    assert collector[0]["metric"]["component"] == "influx_sink"


def test_the_sink_state_is_served_to_readers(client: TestClient, make_token: TokenFactory) -> None:
    response = client.get("/api/v1/sinks/influx", headers=auth(make_token(Role.planner)))
    assert response.status_code == 200
    body = response.json()
    assert body["configured"] is False
    assert {"queued_bytes", "spooled_batches", "dropped_batches", "last_error", "last_success_at"} <= set(
        body
    )


def test_the_sink_state_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/sinks/influx").status_code == 401
