"""Retention and the size bound: the oldest goes first, and what goes is counted.

Every level keeps its configured time (raw 48 h, 5-minute rollups 30 days, hourly 1 year by
default); `stats` rows live until their hour is rolled up and `top_window_max` has passed. When
the store still uses more than `max_bytes`, the level whose oldest day is the oldest relative to
its own retention loses that day, again and again until the store fits: each level then keeps
the same share of its retention, so a full disk shortens history evenly instead of wiping one
level. Dropped rows and bytes are counted in the writer's statistics (`dropped`), by level, and
logged; freed pages go back to the file system (incremental vacuum). Where the bound cut a level
is kept in `meta`, so that queries of the hours it dropped go to the next coarser level.
"""

from __future__ import annotations

import logging
import sqlite3

from collectors.sinks.store.database import KEPT_FROM, used_bytes
from collectors.sinks.store.rollups import BLOCKS_PER_HOUR, FIVE_MINUTES, HOURLY
from collectors.sinks.store.writer import BLOCK_NS, NS, StoreWriter

log = logging.getLogger(__name__)

DAY_NS = 86_400 * NS
_MAX_ROUNDS = 400  # a bound on one call; the next maintenance goes on


def _levels(writer: StoreWriter) -> list[tuple[str, str, tuple[object, ...], int, float]]:
    """(name, table+where, params, period length in ns, retention in s) per level."""
    config = writer.config
    return [
        ("raw", "raw", (), BLOCK_NS, config.raw_retention),
        ("5m", "rollup", (FIVE_MINUTES,), 3600 * NS, config.rollup_5m_retention),
        ("1h", "rollup", (HOURLY,), DAY_NS, config.rollup_1h_retention),
    ]


def _drop(c: sqlite3.Connection, writer: StoreWriter, level: str, before_period: int) -> None:
    params: tuple[int, ...]
    if level == "raw":
        where, params = "raw WHERE block < ?", (before_period,)
    else:
        where = "rollup WHERE level = ? AND period < ?"
        params = (FIVE_MINUTES if level == "5m" else HOURLY, before_period)
    rows, size = c.execute(f"SELECT count(*), coalesce(sum(length(data)), 0) FROM {where}", params).fetchone()
    if not rows:
        return
    c.execute(f"DELETE FROM {where}", params)
    writer.stats.dropped[level] = writer.stats.dropped.get(level, 0) + int(rows)
    writer.stats.dropped_bytes += int(size)


def enforce(writer: StoreWriter, now_ns: int) -> None:
    """Apply retention, drop stats no longer needed, then the size bound."""
    c = writer.connection
    config = writer.config
    c.execute("BEGIN")
    try:
        _drop(c, writer, "raw", (now_ns - int(config.raw_retention * NS)) // BLOCK_NS)
        # 5-minute rows of a day not yet merged into hourly rollups stay until it is (a late or
        # replayed day older than the retention would otherwise lose its first hours for good).
        five_minute_cut = (now_ns - int(config.rollup_5m_retention * NS)) // (3600 * NS)
        _drop(c, writer, "5m", min(five_minute_cut, (writer.rolled_day + 1) * 24))
        _drop(c, writer, "1h", (now_ns - int(config.rollup_1h_retention * NS)) // DAY_NS)
        keep_from = min(
            (writer.rolled_hour + 1) * BLOCKS_PER_HOUR,
            (now_ns - int(config.top_window_max * NS)) // BLOCK_NS - 1,
        )
        c.execute("DELETE FROM stats WHERE block < ?", (keep_from,))
        writer._write_meta()
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    _bound(writer, now_ns)
    c.execute("PRAGMA incremental_vacuum")


def _bound(writer: StoreWriter, now_ns: int) -> None:
    c = writer.connection
    for _ in range(_MAX_ROUNDS):
        if used_bytes(c) <= writer.config.max_bytes:
            return
        oldest = _oldest_relative(writer, now_ns)
        if oldest is None:
            return
        level, cut = oldest
        period_ns = {name: period for name, _, _, period, _ in _levels(writer)}[level]
        c.execute("BEGIN")
        _drop(c, writer, level, cut)
        # Readers must know: the level now starts later than its retention says, and a range
        # before this is answered from the next coarser level (`kept_from_ns`).
        writer._write_meta(**{f"{KEPT_FROM}{level}": str(cut * period_ns)})
        c.execute("COMMIT")
        c.execute("PRAGMA incremental_vacuum")
        log.warning(
            "the metrics store is over its bound of %d bytes: dropped the oldest day of %s (%s rows so far)",
            writer.config.max_bytes,
            level,
            writer.stats.dropped.get(level, 0),
        )


def _oldest_relative(writer: StoreWriter, now_ns: int) -> tuple[str, int] | None:
    """The level whose oldest data is oldest relative to its retention, and where to cut it."""
    c = writer.connection
    best: tuple[float, str, int] | None = None
    for level, table, params, period_ns, retention in _levels(writer):
        if table == "raw":
            first = c.execute("SELECT min(block) FROM raw").fetchone()[0]
        else:
            first = c.execute("SELECT min(period) FROM rollup WHERE level = ?", params).fetchone()[0]
        if first is None:
            continue
        age = (now_ns - int(first) * period_ns) / NS
        if age <= 0:
            continue
        # cut one day past the oldest period (at least one period)
        cut = int(first) + max(1, DAY_NS // period_ns)
        ratio = age / retention
        if best is None or ratio > best[0]:
            best = (ratio, level, cut)
    if best is None:
        return None
    return best[1], best[2]
