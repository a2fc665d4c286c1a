"""The query planner's statistics: SQLite keeps none until ANALYZE runs, and without them it picks
the wrong index for an unselective filter (a device list filtered by role and warranty state read
100,000 rows through `warranty_end IS NULL` and sorted them, 60 ms, where the name index answers
the first page in 2 ms). PostgreSQL's autovacuum keeps its own statistics, so there it does nothing.

Each table is analysed in a transaction of its own, so a writer (syslog intake, polling) waits for
one table at most, never for the whole database. The analysis reads every row: a sampled one
(`PRAGMA analysis_limit`) estimates "rows per value" so badly at 100,000 devices (1,001 where the
truth is 33,334) that the planner's choices stay wrong. About 100 ms of CPU at 100,000 devices.
"""

from __future__ import annotations

from sqlalchemy import Engine


def refresh_planner_statistics(engine: Engine) -> bool:
    """Recompute the planner's statistics where the database keeps none of its own; True if it ran."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).scalars()
        names = list(tables)
    for name in names:
        with engine.begin() as connection:
            quoted = name.replace('"', '""')
            connection.exec_driver_sql(f'ANALYZE "{quoted}"')
    return True
