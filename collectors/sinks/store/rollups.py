"""Rollups: what long ranges are read from once raw points are gone.

- 5-minute level: when every block of an hour is sealed, its `stats` rows are turned around, from
  one row per (block, field, 1,024 series) into one `rollup` row per (hour, series) holding, for
  each field, the twelve buckets' count, sum, min, max and last;
- hourly level: when every hour of a day is rolled, each series' 24 five-minute rows are merged
  into one row per (day, series) of 24 hourly buckets, a few hundred series at a time (one chunk
  per call, so the writer's thread is never busy for long).

A rollup row is a codec blob (codec.py) whose "fields" are `field * 5 + statistic` and whose times
are the buckets' starts; counts are stored as integers, the rest as floats. Counters' statistics
are of their rates, as in `stats` (see writer.py). Both passes are idempotent (a crash halfway
repeats the period and overwrites the same rows).
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from collectors.sinks.store import stats as stats_rows
from collectors.sinks.store.codec import FLOAT, INT, Rows, decode, encode
from collectors.sinks.store.sealing import slots_to_series
from collectors.sinks.store.writer import BLOCK_NS, NS, StoreWriter

log = logging.getLogger(__name__)

FIVE_MINUTES = 300
HOURLY = 3600
STATISTICS = ("count", "sum", "min", "max", "last")
MAX_FIELDS = 256 // len(STATISTICS)  # field * 5 + statistic must fit the codec's byte
BLOCKS_PER_HOUR = 3600 * NS // BLOCK_NS
DAY_CHUNK = 250  # series per hourly-rollup step


def roll_hour(writer: StoreWriter) -> bool:
    """Roll the next finished hour into 5-minute rollups; False when none is due."""
    hour = writer.rolled_hour + 1
    if hour == 0:  # first run: start at the first hour that has stats
        first = writer.connection.execute("SELECT min(block) FROM stats").fetchone()[0]
        if first is None:
            return False
        hour = int(first) // BLOCKS_PER_HOUR
    if (hour + 1) * BLOCKS_PER_HOUR - 1 > writer.sealed_through:
        return False
    c = writer.connection
    first_block, last_block = hour * BLOCKS_PER_HOUR, (hour + 1) * BLOCKS_PER_HOUR - 1
    groups = c.execute(
        "SELECT DISTINCT measurement, part FROM stats WHERE block BETWEEN ? AND ?", (first_block, last_block)
    ).fetchall()
    c.execute("BEGIN")
    try:
        for measurement, part in groups:
            records = c.execute(
                "SELECT block, field, data FROM stats "
                "WHERE measurement = ? AND part = ? AND block BETWEEN ? AND ?",
                (measurement, part, first_block, last_block),
            ).fetchall()
            rows = _stats_rows(writer, measurement, part, records)
            c.executemany(
                "INSERT INTO rollup (level, period, series, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (level, period, series) DO UPDATE SET data = excluded.data",
                ((FIVE_MINUTES, hour, sid, blob) for sid, blob in encode(rows.sorted())),
            )
        writer.rolled_hour = hour
        writer._write_meta()
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    return True


def _stats_rows(
    writer: StoreWriter, measurement: int, part: int, records: list[tuple[int, int, bytes]]
) -> Rows:
    series_of_slot = slots_to_series(writer, measurement)
    parts: list[Rows] = []
    for block, field, data in records:
        if field >= MAX_FIELDS:
            continue  # beyond the 51st field a rollup cannot name it; its raw points remain
        block_stats = stats_rows.unpack(part, data)
        n = len(block_stats)
        sids = series_of_slot[np.minimum(block_stats.slot, series_of_slot.size - 1)].astype(np.int32)
        time = np.full(n, block * BLOCK_NS, np.int64)
        columns = (
            block_stats.count,
            block_stats.sum.view(np.int64),
            block_stats.min.view(np.int64),
            block_stats.max.view(np.int64),
            block_stats.last.view(np.int64),
        )
        for statistic, bits in enumerate(columns):
            parts.append(
                Rows(
                    sids,
                    np.full(n, field * len(STATISTICS) + statistic, np.int16),
                    np.full(n, INT if statistic == 0 else FLOAT, np.int8),
                    time,
                    bits.astype(np.int64),
                    np.full(n, np.nan),
                )
            )
    rows = Rows.concat(parts)
    return rows.take(rows.series >= 0)


def roll_day_step(writer: StoreWriter) -> bool:
    """Merge one chunk of series of the next finished day into hourly rollups; False when none."""
    day = writer.rolled_day + 1
    hours_per_day = 24
    c = writer.connection
    if day == 0:
        first = c.execute("SELECT min(period) FROM rollup WHERE level = ?", (FIVE_MINUTES,)).fetchone()[0]
        if first is None:
            return False
        day = int(first) // hours_per_day
    if (day + 1) * hours_per_day - 1 > writer.rolled_hour:
        return False
    start = writer.roll_cursor
    top = c.execute("SELECT max(id) FROM series").fetchone()[0] or 0
    end = start + DAY_CHUNK
    blobs: list[bytes] = []
    owners: list[int] = []
    for hour in range(day * hours_per_day, (day + 1) * hours_per_day):
        for sid, data in c.execute(
            "SELECT series, data FROM rollup WHERE level = ? AND period = ? AND series >= ? AND series < ?",
            (FIVE_MINUTES, hour, start, end),
        ):
            owners.append(sid)
            blobs.append(data)
    c.execute("BEGIN")
    try:
        if blobs:
            hourly = _to_hourly(decode(blobs), np.asarray(owners, np.int32))
            c.executemany(
                "INSERT INTO rollup (level, period, series, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (level, period, series) DO UPDATE SET data = excluded.data",
                ((HOURLY, day, sid, blob) for sid, blob in encode(hourly)),
            )
        if end > top:
            writer.rolled_day = day
            writer.roll_cursor = 0
        else:
            writer.roll_cursor = end
        writer._write_meta()
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    return True


def _to_hourly(decoded: object, owners: npt.NDArray[np.int32]) -> Rows:
    """Twelve 5-minute buckets -> one hourly bucket, per series, field and statistic."""
    from collectors.sinks.store.codec import Decoded

    assert isinstance(decoded, Decoded)
    series = owners[decoded.blob]
    hour = decoded.time // (3600 * NS)
    code = decoded.field.astype(np.int64)
    statistic = code % len(STATISTICS)
    field = code // len(STATISTICS)
    # hour since the epoch needs 19 bits today (fields < 256, MAX_FIELDS): give it 32, or the
    # field's bits overlap it and two fields' buckets of different hours merge into one.
    key = series.astype(np.int64) << 40 | field << 32 | hour
    order = np.lexsort((decoded.time, statistic, key))
    key, statistic, bits, kind = key[order], statistic[order], decoded.bits[order], decoded.kind[order]
    series, field, hour = series[order], field[order], hour[order]
    out: list[Rows] = []
    for which in range(len(STATISTICS)):
        pick = statistic == which
        k, b = key[pick], bits[pick]
        starts = np.flatnonzero(np.append(True, k[1:] != k[:-1]))
        values = b if which == 0 else b.view(np.float64)
        if which in (0, 1):
            merged = np.add.reduceat(values, starts)
        elif which == 2:
            merged = np.minimum.reduceat(values, starts)
        elif which == 3:
            merged = np.maximum.reduceat(values, starts)
        else:
            ends = np.append(starts[1:], k.size) - 1
            merged = values[ends]
        n = starts.size
        out.append(
            Rows(
                series[pick][starts],
                (field[pick][starts] * len(STATISTICS) + which).astype(np.int16),
                np.full(n, INT if which == 0 else FLOAT, np.int8),
                hour[pick][starts] * 3600 * NS,
                merged.astype(np.int64) if which == 0 else np.asarray(merged, np.float64).view(np.int64),
                np.full(n, np.nan),
            )
        )
    _ = kind
    return Rows.concat(out).sorted()
