"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from inventory import migrate
from inventory.autogenerate import include_name
from inventory.db import Database
from inventory.model_registry import import_all_models
from inventory.models.base import Base

import_all_models()


def test_one_head_and_the_database_is_at_it(migrated_database: Database) -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    assert migrate.current_revision(migrated_database.engine) == heads[0]


def test_migrated_schema_matches_the_models(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": include_name}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ: {differences}"
