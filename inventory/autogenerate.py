"""What Alembic's autogenerate (and the schema check in the tests) must leave alone."""

from __future__ import annotations

from inventory.search_index import SQLITE_FTS_TABLES

# pg_trgm GIN indexes made by raw SQL (0150 for devices, 0850 for syslog messages): their operator
# class cannot be declared portably in the models, which SQLite shares.
RAW_SQL_INDEXES = frozenset({"ix_device_search_trgm", "ix_syslog_message_search_trgm"})


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Search indexes made by raw SQL (FTS5 tables and their shadow tables on SQLite, the pg_trgm
    indexes on PostgreSQL) are not in the metadata; autogenerate must not drop them."""
    if type_ == "table" and name and name.startswith(tuple(SQLITE_FTS_TABLES.values())):
        return False
    return not (type_ == "index" and name in RAW_SQL_INDEXES)
