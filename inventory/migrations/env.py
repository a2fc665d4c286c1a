"""Alembic environment. Run through `eams db upgrade` (see inventory.migrate)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from inventory.models.base import Base
from inventory.search_index import SQLITE_FTS_TABLES

# Every module that declares tables on Base; autogenerate needs the whole metadata.
MODEL_MODULES = ("inventory.models",)

for module in MODEL_MODULES:
    importlib.import_module(module)

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    # Search indexes made by raw SQL in 0150 (FTS5 tables and their shadow tables on SQLite, the
    # pg_trgm index on PostgreSQL) are not in the metadata; autogenerate must not drop them.
    if type_ == "table" and name and name.startswith(tuple(SQLITE_FTS_TABLES.values())):
        return False
    return not (type_ == "index" and name == "ix_device_search_trgm")


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: Connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite by copying the table.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
