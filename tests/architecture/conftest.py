"""The example province (Tỉnh Sơn Lâm) loaded into the test database, and look-ups by name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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

# Every expectation in these tests was worked out by hand from inventory/examples/province/*.yaml,
# as of this date, unless a test says otherwise.
AS_OF = "2026-07-01"


@dataclass
class Example:
    client: TestClient

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"/api/v1/{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def report(self, name: str, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"reports/{name}", **params)
        return result

    def id_of(self, path: str, **filters: Any) -> int:
        found = self.get(path, **filters)
        assert found["count"] == 1, (path, filters, found["count"])
        return int(found["results"][0]["id"])


@pytest.fixture
def example(admin: TestClient, services: Services) -> Example:
    """The example in a database of this test's own (it may change it)."""
    with services.db.session(actor="test seed") as session:
        load_example(session)
    return Example(admin)


@pytest.fixture(scope="module")
def example_readonly(
    migrated_database: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Example]:
    """The example loaded once for a module whose tests only read it (loading takes a second or two).

    Built beside the per-test fixtures rather than on them, and emptied when the module ends, so that
    tests elsewhere still start from an empty database."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"), database_url=database_url, secret_key="test-secret-key"
    )
    services = Services.from_settings(settings, db=migrated_database)
    try:
        with services.db.session(actor="test seed") as session:
            load_example(session)
            _, token = create_token(session, name="planner", role=Role.planner)
        with TestClient(create_app(services)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            yield Example(client)
    finally:
        empty_all_tables(migrated_database)


def names(rows: list[dict[str, Any]], node_type: str | None = None, column: str = "name") -> set[str]:
    return {row[column] for row in rows if node_type is None or row["node_type"] == node_type}
