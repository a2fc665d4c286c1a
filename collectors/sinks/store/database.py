"""The store's SQLite file: its tables, and connections set up for one writer and many readers.

SQLite is only the container: points are packed by `codec.py` into one blob per series and
5-minute block, so a day of 5,000 devices is 20 million rows, not a billion. WAL mode lets the API
and `eams metrics query` read while the sink writes; `synchronous=NORMAL` makes every commit
survive a crash of the process (a power loss may take the last commits, never the file), and
incremental auto-vacuum gives freed pages back to the disk so the size bound is real.

Tables (ids are small integers; times are nanoseconds since the epoch; a block is 5 minutes):

- `measurement`, `field`, `series`: the names behind the ids; a series is a measurement of one
  device about one entity, and `series.slot` numbers a measurement's series from 0;
- `head`: one row per flush (about a second) not yet sealed into blocks, so a restart loses
  nothing that was committed;
- `raw`: one row per series and block, its points (a codec blob);
- `stats`: one row per block, measurement, field and part (1,024 slots): per series the count,
  sum, min, max and last of the values (of the rates, for counters);
- `rollup`: one row per level (300 or 3600 s), period (hour or day) and series: the buckets'
  count, sum, min, max, last per field (a codec blob);
- `latest`: one row per series, its last values (JSON);
- `meta`: progress (sealed, rolled up) and what was dropped or lost.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

FORMAT = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS measurement (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS field (
    measurement INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    PRIMARY KEY (measurement, idx)
);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, measurement INTEGER NOT NULL, device TEXT NOT NULL, entity TEXT NOT NULL,
    slot INTEGER NOT NULL, UNIQUE (measurement, device, entity)
);
CREATE INDEX IF NOT EXISTS series_slot ON series (measurement, slot);
CREATE TABLE IF NOT EXISTS head (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS raw (
    id INTEGER PRIMARY KEY, block INTEGER NOT NULL, series INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS raw_key ON raw (block, series);
CREATE TABLE IF NOT EXISTS stats (
    id INTEGER PRIMARY KEY, block INTEGER NOT NULL, measurement INTEGER NOT NULL, field INTEGER NOT NULL,
    part INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS stats_key ON stats (block, measurement, field, part);
CREATE INDEX IF NOT EXISTS stats_part ON stats (measurement, part, block);
CREATE TABLE IF NOT EXISTS rollup (
    id INTEGER PRIMARY KEY, level INTEGER NOT NULL, period INTEGER NOT NULL, series INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS rollup_key ON rollup (level, period, series);
CREATE TABLE IF NOT EXISTS latest (series INTEGER PRIMARY KEY, data TEXT NOT NULL);
"""


class StoreFileError(Exception):
    """The store's file cannot be opened or is not ours; the message says which and why."""


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store. The writer creates the file; readers open it read-only."""
    try:
        if readonly:
            if not path.exists():
                raise StoreFileError(f"there is no metrics store at {path} (nothing was recorded yet)")
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            if fresh:
                # Both must be set before the first table exists.
                connection.execute("PRAGMA page_size = 8192")
                connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA journal_size_limit = 67108864")
            connection.executescript(SCHEMA)
            found = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if found is None:
                connection.execute("INSERT INTO meta (key, value) VALUES ('format', ?)", (FORMAT,))
            elif found[0] != FORMAT:
                raise StoreFileError(f"{path} has store format {found[0]}; this eams writes {FORMAT}")
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache per connection
        return connection
    except sqlite3.DatabaseError as error:
        raise StoreFileError(f"cannot open the metrics store {path}: {error}") from None


KEPT_FROM = "kept_from_ns."  # meta key prefix: where the size bound last cut a level, in ns


def used_bytes(connection: sqlite3.Connection) -> int:
    """Bytes in use (pages minus free pages): what the size bound is checked against."""
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * page_size)
