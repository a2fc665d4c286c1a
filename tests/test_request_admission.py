"""API requests share the database pool with monitoring, within bounds: at most
`database_pool_size - database_pool_reserved` requests hold a connection at once, a request that
cannot get one within `database_pool_timeout_s` answers 503 with Retry-After (never a 500 and
never an unbounded wait), and the reserved room stays free for the collectors and the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from eams.api.app import create_app
from eams.auth.tokens import create_token
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from inventory.models import Role


@pytest.fixture
def small(tmp_path: Path, database_url: str, db: Database) -> Iterator[tuple[Services, TestClient, str]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        database_pool_size=4,
        database_pool_reserved=2,
        database_pool_timeout_s=0.3,
    )
    services = Services.from_settings(settings)  # its own pool, sized by the settings
    with services.db.session() as session:
        _, token = create_token(session, name="admission", role=Role.admin)
    try:
        with TestClient(create_app(services, background=False)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            yield services, client, token
    finally:
        services.db.dispose()


def test_a_request_that_cannot_get_in_answers_503_with_retry_after_and_the_next_one_is_served(
    small: tuple[Services, TestClient, str],
) -> None:
    services, client, _ = small
    gate = client.app.state.request_gate  # type: ignore[attr-defined]
    assert gate.connections == 2
    gate.enter()
    gate.enter()  # two requests in flight hold the API's share
    try:
        busy = client.get("/api/v1/devices")
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert "bận" in busy.json()["detail"] and "busy" in busy.json()["detail"]
        with services.db.session() as session:  # the reserved room: monitoring still gets in
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        gate.leave()
        gate.leave()
    assert client.get("/api/v1/devices").status_code == 200


def test_a_pool_with_no_connection_left_answers_503_not_500(small: tuple[Services, TestClient, str]) -> None:
    services, client, _ = small
    with ExitStack() as held:  # every connection of the pool taken (by anything)
        for _ in range(4):
            held.enter_context(services.db.engine.connect())
        busy = client.get("/api/v1/devices")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert client.get("/api/v1/devices").status_code == 200


def test_pool_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EAMS_DATABASE_POOL_SIZE", "50")
    monkeypatch.setenv("EAMS_DATABASE_POOL_RESERVED", "10")
    monkeypatch.setenv("EAMS_DATABASE_POOL_TIMEOUT_S", "2.5")
    settings = Settings(data_dir=tmp_path)
    assert (settings.database_pool_size, settings.api_connections, settings.database_pool_timeout_s) == (
        50,
        40,
        2.5,
    )


def test_requests_beyond_twice_the_api_connections_are_turned_away_at_once(
    small: tuple[Services, TestClient, str],
) -> None:
    _, client, _ = small
    gate = client.app.state.request_gate  # type: ignore[attr-defined]
    assert gate.max_in_flight == 4
    gate.in_flight = 4  # as many requests in the service as it admits
    try:
        busy = client.get("/api/v1/devices")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert client.get("/healthz").status_code == 200, "only the API is bounded"
    finally:
        gate.in_flight = 0
    assert client.get("/api/v1/devices").status_code == 200
    assert gate.in_flight == 0
