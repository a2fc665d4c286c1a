"""device search index and list indexes

The free-text `q` on devices gets an index that finds substrings: on SQLite an FTS5 trigram table
kept in step with `device.search_text` by triggers; on PostgreSQL a pg_trgm GIN index, which plain
LIKE '%word%' uses. The usual planner filter (status, role, warranty end) is answered from one index.

Revision ID: 0150
Revises: 0100
Create Date: 2026-11-23 07:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# Only the device table: later migrations (0850, syslog_message) make their own index.
SQLITE_FTS_TABLES = {"device": "device_search"}

revision: str = "0150"
down_revision: str | Sequence[str] | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index("ix_device_status_role")
        batch_op.create_index(
            "ix_device_status_role_warranty", ["status", "role", "warranty_end"], unique=False
        )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, fts in SQLITE_FTS_TABLES.items():
            for statement in sqlite_fts_ddl(table, fts):
                op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_device_search_trgm ON device USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for fts in SQLITE_FTS_TABLES.values():
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_device_search_trgm")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index("ix_device_status_role_warranty")
        batch_op.create_index("ix_device_status_role", ["status", "role"], unique=False)


def sqlite_fts_ddl(table: str, fts: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]
