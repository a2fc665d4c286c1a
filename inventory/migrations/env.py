"""Alembic environment. Run through `eams db upgrade` (see inventory.migrate)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from inventory.models.base import Base

# Every module that declares tables on Base; autogenerate needs the whole metadata.
MODEL_MODULES = (
    "inventory.models",
    "inventory.models.framework",
    "inventory.models.systems",
    "inventory.models.security",
    "inventory.models.contracts",
    "inventory.models.roadmap",
    "inventory.models.graph_state",
)

for module in MODEL_MODULES:
    importlib.import_module(module)

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
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
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
