"""Sealing: head rows of finished 5-minute blocks become `raw` blobs and `stats` rows, at once.

A block is sealed `SEAL_GRACE_NS` after it ends (a poll is stamped when it starts and published
when it ends). In one transaction: the block's rows of every series are encoded (codec.py) into
`raw`, its per-series statistics into `stats`, the latest values of the series touched since the
last seal into `latest`, and the `head` table is replaced by what is still unsealed; only then is
the in-memory head cut. Rows that arrive for a block already sealed (a late poll, a remote
collector's replay) are merged into its blobs at the next seal; they do not change its `stats`
(so `/metrics/top` ranks what arrived in time; the 5-minute rollups are built from `stats`).
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import numpy.typing as npt

from collectors.sinks.store import stats as stats_rows
from collectors.sinks.store.codec import INT, Rows, decode, encode
from collectors.sinks.store.head import COUNTER, pack
from collectors.sinks.store.writer import BLOCK_NS, SEAL_GRACE_NS, StoreWriter

log = logging.getLogger(__name__)


def due_block(now_ns: int) -> int:
    """The last block that may be sealed at `now_ns`."""
    return (now_ns - SEAL_GRACE_NS) // BLOCK_NS - 1


def seal(writer: StoreWriter, now_ns: int) -> int:
    """Seal every block due; returns how many blocks with rows were sealed."""
    through = due_block(now_ns)
    if through <= writer.sealed_through:
        return 0
    view = writer.head.view()
    sealing = view.time < (through + 1) * BLOCK_NS
    rows, rest = view.take(sealing), view.take(~sealing)
    c = writer.connection
    c.execute("BEGIN")
    try:
        blocks = rows.time // BLOCK_NS
        sealed = 0
        for block in np.unique(blocks).tolist():
            block_rows = rows.take(blocks == block).sorted()
            if block <= writer.sealed_through:
                _merge(c, block, block_rows)
                writer.stats.late_rows += len(block_rows)
                continue
            _insert(c, block, block_rows)
            _write_stats(c, writer, block, block_rows)
            sealed += 1
        c.executemany(
            "INSERT INTO latest (series, data) VALUES (?, ?) "
            "ON CONFLICT (series) DO UPDATE SET data = excluded.data",
            writer.latest_rows(writer.take_touched()),
        )
        c.execute("DELETE FROM head")
        if len(rest):
            c.execute("INSERT INTO head (data) VALUES (?)", (pack(rest),))
        writer.sealed_through = through
        writer.stats.blocks_sealed += sealed
        writer._write_meta()
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    writer.head.replace(rest)
    return sealed


def _stored(rows: Rows) -> Rows:
    """Counters are stored as integers (their rates are derived again when read)."""
    kind = np.where(rows.kind == COUNTER, INT, rows.kind).astype(np.int8)
    return Rows(rows.series, rows.field, kind, rows.time, rows.bits, rows.rate)


def _insert(c: sqlite3.Connection, block: int, rows: Rows) -> None:
    encoded = encode(_stored(rows))
    try:
        c.executemany(
            "INSERT INTO raw (block, series, data) VALUES (?, ?, ?)",
            ((block, series, blob) for series, blob in encoded),
        )
    except sqlite3.IntegrityError:  # the block already has rows (a replay): merge instead
        _merge(c, block, rows)


def _merge(c: sqlite3.Connection, block: int, rows: Rows) -> None:
    series = np.unique(rows.series).tolist()
    stored: list[tuple[int, bytes]] = []
    for start in range(0, len(series), 500):
        chunk = series[start : start + 500]
        marks = ",".join("?" * len(chunk))
        stored.extend(
            c.execute(
                f"SELECT series, data FROM raw WHERE block = ? AND series IN ({marks})", (block, *chunk)
            )
        )
    if stored:
        decoded = decode(blob for _sid, blob in stored)
        sids = np.asarray([sid for sid, _blob in stored], np.int32)
        old = Rows(
            sids[decoded.blob],
            decoded.field,
            decoded.kind,
            decoded.time,
            decoded.bits,
            np.full(decoded.time.shape[0], np.nan),
        )
        rows = Rows.concat([old, _stored(rows)])  # the new rows last: they win a tie
    merged = _stored(rows).sorted()
    c.executemany(
        "INSERT INTO raw (block, series, data) VALUES (?, ?, ?) "
        "ON CONFLICT (block, series) DO UPDATE SET data = excluded.data",
        ((block, sid, blob) for sid, blob in encode(merged)),
    )


def _write_stats(c: sqlite3.Connection, writer: StoreWriter, block: int, rows: Rows) -> None:
    """Per (measurement, field, part of 1,024 series): count, sum, min, max, last of the block."""
    if not len(rows):
        return
    values = np.where(rows.kind == COUNTER, rows.rate, rows.values)
    registry = writer.registry.series
    sids = np.unique(rows.series)
    measurement_of = np.empty(sids.size, np.int64)
    slot_of = np.empty(sids.size, np.int64)
    for i, sid in enumerate(sids.tolist()):
        state = registry[sid]
        measurement_of[i] = state.measurement.id
        slot_of[i] = state.slot
    where = np.searchsorted(sids, rows.series)
    measurement, slot = measurement_of[where], slot_of[where]
    key = measurement << 40 | rows.field.astype(np.int64) << 24 | slot
    order = np.argsort(key, kind="stable")  # rows are sorted by series, field, time: time stays in order
    key, values = key[order], values[order]
    valid = ~np.isnan(values)
    starts = np.flatnonzero(np.append(True, key[1:] != key[:-1]))
    count = np.add.reduceat(valid.astype(np.int64), starts)
    total = np.add.reduceat(np.where(valid, values, 0.0), starts)
    low = np.minimum.reduceat(np.where(valid, values, np.inf), starts)
    high = np.maximum.reduceat(np.where(valid, values, -np.inf), starts)
    last_index = np.maximum.reduceat(np.where(valid, np.arange(values.size), -1), starts)
    last = values[np.maximum(last_index, 0)]
    keep = count > 0
    group_key = key[starts][keep]
    group_measurement = group_key >> 40
    group_field = (group_key >> 24) & 0xFFFF
    group_slot = group_key & 0xFFFFFF
    group_part = group_slot // stats_rows.PART
    kept = (count[keep], total[keep], low[keep], high[keep], last[keep])
    part_key = group_key >> 24 << 24 | group_part
    bounds = np.flatnonzero(np.append(True, part_key[1:] != part_key[:-1]))
    ends = np.append(bounds[1:], part_key.size)
    records = []
    for a, b in zip(bounds.tolist(), ends.tolist(), strict=True):
        part = int(group_part[a])
        block_stats = stats_rows.BlockStats(group_slot[a:b], *(array[a:b] for array in kept))
        records.append(
            (block, int(group_measurement[a]), int(group_field[a]), part, stats_rows.pack(part, block_stats))
        )
    c.executemany(
        "INSERT OR REPLACE INTO stats (block, measurement, field, part, data) VALUES (?, ?, ?, ?, ?)", records
    )


def slots_to_series(writer: StoreWriter, measurement_id: int) -> npt.NDArray[np.int64]:
    """slot -> series id for one measurement (-1 where no series has the slot)."""
    info = writer.registry.by_id[measurement_id]
    table = np.full(max(info.slots, 1), -1, np.int64)
    for state in writer.registry.series.values():
        if state.measurement is info:
            table[state.slot] = state.id
    return table
