"""What Alembic's autogenerate (and the schema check in the tests) must leave alone."""

from __future__ import annotations

from inventory.search_index import SQLITE_FTS_TABLES


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Search indexes made by raw SQL in 0150 (FTS5 tables and their shadow tables on SQLite, the
    pg_trgm index on PostgreSQL) are not in the metadata; autogenerate must not drop them."""
    if type_ == "table" and name and name.startswith(tuple(SQLITE_FTS_TABLES.values())):
        return False
    return not (type_ == "index" and name == "ix_device_search_trgm")
