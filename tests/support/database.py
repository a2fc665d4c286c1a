"""Test databases: a SQLite file per test session, or a fresh PostgreSQL database per session.

When EAMS_TEST_DATABASE_URL points at PostgreSQL, a uniquely named database is created on that
server and dropped afterwards, so that several runs (CI, developers, helpers) never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eams.settings import Settings

TEST_DATABASE_ENV = "EAMS_TEST_DATABASE_URL"


def backend() -> str:
    url = os.environ.get(TEST_DATABASE_ENV)
    return make_url(Settings._normalise_postgres_driver(url) or url).get_backend_name() if url else "sqlite"


@contextmanager
def scratch_database_url(
    tmp_dir: Path, configured: str | None = None, *, prefix: str = "eams_test", from_env: bool = True
) -> Iterator[str]:
    """A SQLite file in `tmp_dir`, or a fresh database on the PostgreSQL server of `configured`
    (or of EAMS_TEST_DATABASE_URL when `from_env`), dropped afterwards."""
    if configured is None and from_env:
        configured = os.environ.get(TEST_DATABASE_ENV)
    if not configured:
        yield f"sqlite:///{tmp_dir / (prefix + '.sqlite3')}"
        return
    server_url = make_url(Settings._normalise_postgres_driver(configured) or configured)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
