"""Fixtures of the web tests: the example province, and a browser-like client signed in per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from eams.api.app import create_app
from eams.auth import create_token
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from inventory.examples.loader import load_example
from inventory.models import Role
from tests.conftest import empty_all_tables

SignIn = Callable[..., TestClient]


@pytest.fixture(scope="module")
def example_services(
    migrated_database: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """The example province, loaded once per module (loading it is the slow part of these tests);
    tests that write leave rows of their own names, and the tables are emptied when the module
    ends so that tests elsewhere start from an empty database."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"), database_url=database_url, secret_key="test-secret-key"
    )
    services = Services.from_settings(settings, db=migrated_database)
    try:
        with services.db.session(actor="test seed") as session:
            load_example(session)
        yield services
    finally:
        empty_all_tables(migrated_database)


@pytest.fixture(scope="module")
def sign_in(example_services: Services) -> Iterator[SignIn]:
    """`sign_in("planner", agency_code="SL.HLS")`: a client holding a signed-in page cookie."""
    app = create_app(example_services, background=False)
    clients: list[TestClient] = []

    def make(role: str = "admin", agency_code: str | None = None, name: str | None = None) -> TestClient:
        agency_id = None
        with example_services.db.session() as session:
            if agency_code is not None:
                from sqlalchemy import select

                from inventory.models import Agency

                agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
            _, token = create_token(session, name=name or f"web-{role}", role=Role(role), agency_id=agency_id)
        client = TestClient(app).__enter__()
        clients.append(client)
        answer = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
        assert answer.status_code == 303
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
