"""Shared fixtures: a migrated database, the service objects, an HTTP client and tokens per role."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text

from eams.api.app import create_app
from eams.auth import create_token
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.db import Database
from inventory.models import Role
from inventory.models.base import Base
from tests.support.database import scratch_database_url

# Under pytest-xdist each worker prepares its own recordings: two workers trimming into one folder
# would race on the same files. (tests/support/snmp_agents reads this when the sub-folders'
# conftests import it, after this file.)
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and "EAMS_TEST_CACHE" not in os.environ:
    os.environ["EAMS_TEST_CACHE"] = str(Path(__file__).resolve().parents[1] / "var" / "test-cache" / _worker)

# Apps built by tests must not poll the devices tests create (their addresses may not be loopback);
# the SNMP tests build the polling component themselves.
os.environ.setdefault("EAMS_SNMP_POLLING", "off")


# Folders whose files share expensive session fixtures (a lab of agents, sshd, a syslog lab) or
# fixed loopback addresses: each runs whole on one xdist worker, so the lab starts
# once and two workers never sweep the same addresses. Every other test file runs whole on one
# worker too: some files' tests share one running service and build on each other in order
# (tests/auth/test_serve.py scans, last, what the others sent).
ONE_WORKER_FOLDERS = frozenset({"discovery", "remote", "snmp", "ssh", "syslog", "traps"})


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    # Our own unit of work rather than xdist_group marks: xdist 3.8 renames node ids to carry the
    # group, which pytest 9 no longer reads, so marks silently split a group over workers.
    from xdist.scheduler import LoadScopeScheduling

    class FolderOrFileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]  # tests/<folder>/test_x.py or tests/test_x.py
            parts = path.split("/")
            if len(parts) > 2 and parts[1] in ONE_WORKER_FOLDERS:
                return "/".join(parts[:2])
            return path

    return FolderOrFileScheduling(config, log)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database_url(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def db(migrated_database: Database) -> Iterator[Database]:
    """The session's database, emptied after each test (faster than migrating per test)."""
    yield migrated_database
    empty_all_tables(migrated_database)


def empty_all_tables(database: Database) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        # Self-references (agency.parent_id) make row order matter; switch checks off meanwhile.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table in tables:
            connection.execute(delete(table))
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret-key")


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    return Services.from_settings(settings, db=db)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(services: Services) -> TokenFactory:
    def make(role: Role | str = Role.admin, name: str = "tester", agency_id: int | None = None) -> str:
        with services.db.session() as session:
            _, clear = create_token(session, name=name, role=Role(role), agency_id=agency_id)
        return clear

    return make


@pytest.fixture
def admin(client: TestClient, make_token: TokenFactory) -> TestClient:
    """The client, authenticated as an admin."""
    client.headers["Authorization"] = f"Bearer {make_token(Role.admin, 'admin')}"
    return client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
