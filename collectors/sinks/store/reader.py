"""Reading the store: series by name, raw points, rollup buckets, block statistics, latest values.

A reader works inside the service (then it is handed the writer's in-memory head and latest
values, so it sees the last second) or from another process such as `eams metrics query` (then
it reads the `head` and `latest` tables, as of the last flush and seal). Each thread gets its own
read-only SQLite connection; WAL mode lets them read while the writer writes.

Raw points are read head first, blocks second: a block sealed in between then shows up twice, and
the duplicates are dropped (same series, field and time), so a read never misses a point.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from collectors.sinks.store import stats as stats_rows
from collectors.sinks.store.codec import FLOAT, Rows, decode
from collectors.sinks.store.database import KEPT_FROM, connect
from collectors.sinks.store.head import COUNTER, HeadBuffer, unpack
from collectors.sinks.store.rollups import STATISTICS
from collectors.sinks.store.steps import Steps
from collectors.sinks.store.writer import BLOCK_NS

LatestSource = Callable[[list[int]], dict[int, list[tuple[str, int, object, float | None]]]]
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class SeriesInfo:
    id: int
    measurement: str
    device: str
    entity: dict[str, str]
    slot: int


@dataclass(frozen=True)
class FieldInfo:
    index: int
    name: str
    type: str


@dataclass(frozen=True)
class RawSeries:
    """One field of one series: times (ns) and values (floats, and exact ints for integer fields)."""

    time: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    exact: list[int] | None  # integer fields: the values as Python ints (counters pass 2^53)


class StoreReader:
    def __init__(
        self,
        path: Path,
        *,
        head: HeadBuffer | None = None,
        latest: LatestSource | None = None,
    ) -> None:
        self.path = path
        self._head = head
        self._latest = latest
        self._local = threading.local()

    @property
    def connection(self) -> sqlite3.Connection:
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is None:
            found = connect(self.path, readonly=True)
            self._local.connection = found
        return found

    def exists(self) -> bool:
        return self.path.exists()

    # -- names ---------------------------------------------------------------------------------
    def measurement_id(self, name: str) -> int | None:
        row = self.connection.execute("SELECT id FROM measurement WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def fields(self, measurement: str) -> dict[str, FieldInfo]:
        rows = self.connection.execute(
            "SELECT f.idx, f.name, f.type FROM field f JOIN measurement m ON m.id = f.measurement "
            "WHERE m.name = ?",
            (measurement,),
        )
        return {name: FieldInfo(idx, name, type_) for idx, name, type_ in rows}

    def series(self, measurement: str, devices: Iterable[str] | None = None) -> list[SeriesInfo]:
        """Every series of the measurement, of the given devices (all when None)."""
        mid = self.measurement_id(measurement)
        if mid is None:
            return []
        query = "SELECT id, device, entity, slot FROM series WHERE measurement = ?"
        found: list[SeriesInfo] = []
        if devices is None:
            rows: Iterable[tuple[int, str, str, int]] = self.connection.execute(query, (mid,))
            found = [SeriesInfo(i, measurement, d, json.loads(e), s) for i, d, e, s in rows]
        else:
            names = list(dict.fromkeys(devices))
            for start in range(0, len(names), _CHUNK):
                chunk = names[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self.connection.execute(f"{query} AND device IN ({marks})", (mid, *chunk))
                found.extend(SeriesInfo(i, measurement, d, json.loads(e), s) for i, d, e, s in rows)
        return sorted(found, key=lambda s: (s.device, sorted(s.entity.items())))

    # -- raw points ----------------------------------------------------------------------------
    def _head_rows(self) -> Rows:
        if self._head is not None:
            return self._head.view()
        parts = [unpack(data) for (data,) in self.connection.execute("SELECT data FROM head ORDER BY seq")]
        return Rows.concat(parts)

    def raw(self, series: list[int], field: FieldInfo, start_ns: int, end_ns: int) -> dict[int, RawSeries]:
        """The field's points of each series with start <= time < end."""
        if not series:
            return {}
        head = self._head_rows()
        wanted = np.asarray(sorted(series), np.int32)
        pick = np.isin(head.series, wanted) & (head.field == field.index)
        pick &= (head.time >= start_ns) & (head.time < end_ns)
        parts = [head.take(pick)]
        blocks = list(range(start_ns // BLOCK_NS, (end_ns - 1) // BLOCK_NS + 1))
        blobs: list[bytes] = []
        owners: list[int] = []
        for start in range(0, len(series), _CHUNK):
            chunk = series[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for block_start in range(0, len(blocks), _CHUNK):
                block_chunk = blocks[block_start : block_start + _CHUNK]
                block_marks = ",".join("?" * len(block_chunk))
                for sid, data in self.connection.execute(
                    f"SELECT series, data FROM raw WHERE block IN ({block_marks}) AND series IN ({marks})",
                    (*block_chunk, *chunk),
                ):
                    owners.append(sid)
                    blobs.append(data)
        if blobs:
            decoded = decode(blobs)
            keep = (decoded.field == field.index) & (decoded.time >= start_ns) & (decoded.time < end_ns)
            sids = np.asarray(owners, np.int32)[decoded.blob[keep]]
            parts.insert(
                0,
                Rows(
                    sids,
                    decoded.field[keep],
                    decoded.kind[keep],
                    decoded.time[keep],
                    decoded.bits[keep],
                    np.full(sids.size, np.nan),
                ),
            )
        rows = Rows.concat(parts).sorted()
        out: dict[int, RawSeries] = {}
        if not len(rows):
            return out
        bounds = np.flatnonzero(np.append(True, rows.series[1:] != rows.series[:-1]))
        ends = np.append(bounds[1:], len(rows))
        for a, b in zip(bounds.tolist(), ends.tolist(), strict=True):
            sid = int(rows.series[a])
            kind = rows.kind[a:b]
            bits = rows.bits[a:b]
            floats = kind == FLOAT
            value = np.where(floats, bits.view(np.float64), bits.astype(np.float64))
            exact = None if floats.all() else bits.tolist()
            out[sid] = RawSeries(rows.time[a:b].copy(), value, exact)
        return out

    def before(
        self, series: list[int], field: FieldInfo, start_ns: int, lookback_ns: int
    ) -> dict[int, tuple[int, int | float]]:
        """The last point of each series in [start - lookback, start): a rate's first point needs it."""
        found = self.raw(series, field, start_ns - lookback_ns, start_ns)
        out: dict[int, tuple[int, int | float]] = {}
        for sid, raw in found.items():
            if len(raw.time):
                value: int | float = raw.exact[-1] if raw.exact is not None else float(raw.value[-1])
                out[sid] = (int(raw.time[-1]), value)
        return out

    # -- rollups -------------------------------------------------------------------------------
    def rollups(
        self, level: int, series: list[int], field: FieldInfo, first_period: int, last_period: int
    ) -> dict[int, list[Steps]]:
        """Each series' buckets of one field at `level` (300 or 3600 s) in the periods given
        (hours for 300, days for 3600), as Steps of the level's bucket length."""
        periods = list(range(first_period, last_period + 1))
        blobs: list[bytes] = []
        owners: list[int] = []
        for start in range(0, len(series), _CHUNK):
            chunk = series[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for period_start in range(0, len(periods), _CHUNK):
                period_chunk = periods[period_start : period_start + _CHUNK]
                period_marks = ",".join("?" * len(period_chunk))
                for sid, data in self.connection.execute(
                    f"SELECT series, data FROM rollup WHERE level = ? AND period IN ({period_marks}) "
                    f"AND series IN ({marks})",
                    (level, *period_chunk, *chunk),
                ):
                    owners.append(sid)
                    blobs.append(data)
        out: dict[int, list[Steps]] = {}
        if not blobs:
            return out
        decoded = decode(blobs)
        codes = decoded.field.astype(np.int64)
        keep = codes // len(STATISTICS) == field.index
        owner = np.asarray(owners, np.int64)[decoded.blob[keep]]
        statistic = codes[keep] % len(STATISTICS)
        time, bits = decoded.time[keep], decoded.bits[keep]
        step_ns = level * 1_000_000_000
        for sid in np.unique(owner).tolist():
            mine = owner == sid
            columns = {}
            for which, name in enumerate(STATISTICS):
                pick = mine & (statistic == which)
                order = np.argsort(time[pick], kind="stable")
                columns[name] = (time[pick][order], bits[pick][order])
            times = columns["count"][0]
            if not times.size:
                continue
            start_ns = int(times[0])
            steps = int((times[-1] - times[0]) // step_ns) + 1
            index = (times - start_ns) // step_ns
            values = {}
            for name in STATISTICS[1:]:
                v = np.full(steps, np.nan)
                v[(columns[name][0] - start_ns) // step_ns] = columns[name][1].view(np.float64)
                values[name] = v
            count = np.zeros(steps, np.int64)
            count[index] = columns["count"][1]
            out.setdefault(sid, []).append(
                Steps(
                    start_ns,
                    step_ns,
                    count,
                    np.nan_to_num(values["sum"]),
                    values["min"],
                    values["max"],
                    values["last"],
                )
            )
        return out

    # -- block statistics (top) ------------------------------------------------------------------
    def block_stats(
        self, measurement_id: int, field: FieldInfo, first_block: int, last_block: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(slot, count, sum) per series over the sealed blocks in the range, summed."""
        slots: list[npt.NDArray[np.int64]] = []
        counts: list[npt.NDArray[np.int64]] = []
        sums: list[npt.NDArray[np.float64]] = []
        blocks = list(range(first_block, last_block + 1))
        for start in range(0, len(blocks), _CHUNK):
            chunk = blocks[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for part, data in self.connection.execute(
                f"SELECT part, data FROM stats WHERE block IN ({marks}) AND measurement = ? AND field = ?",
                (*chunk, measurement_id, field.index),
            ):
                found = stats_rows.unpack(part, data)
                slots.append(found.slot)
                counts.append(found.count)
                sums.append(found.sum)
        if not slots:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        return np.concatenate(slots), np.concatenate(counts), np.concatenate(sums)

    def stats_blocks(
        self, measurement_id: int, field: FieldInfo, first_block: int, last_block: int, parts: list[int]
    ) -> list[tuple[int, stats_rows.BlockStats]]:
        """The `stats` rows of some parts (slot // 1024) of one field, block by block."""
        out: list[tuple[int, stats_rows.BlockStats]] = []
        if first_block > last_block or not parts:
            return out
        marks = ",".join("?" * len(parts))
        for block, part, data in self.connection.execute(
            f"SELECT block, part, data FROM stats WHERE measurement = ? AND part IN ({marks}) "
            "AND block BETWEEN ? AND ? AND field = ?",
            (measurement_id, *parts, first_block, last_block, field.index),
        ):
            out.append((int(block), stats_rows.unpack(part, data)))
        return out

    def slots(self, measurement_id: int) -> tuple[npt.NDArray[np.int64], list[str]]:
        """(slot, device) of every series of a measurement, without parsing their entities."""
        rows = self.connection.execute(
            "SELECT slot, device FROM series WHERE measurement = ?", (measurement_id,)
        )
        slots: list[int] = []
        devices: list[str] = []
        for slot, device in rows:
            slots.append(slot)
            devices.append(device)
        return np.asarray(slots, np.int64), devices

    def series_by_slots(self, measurement: str, slots: list[int]) -> list[SeriesInfo]:
        mid = self.measurement_id(measurement)
        found: list[SeriesInfo] = []
        for start in range(0, len(slots), _CHUNK):
            chunk = slots[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for i, d, e, s in self.connection.execute(
                f"SELECT id, device, entity, slot FROM series WHERE measurement = ? AND slot IN ({marks})",
                (mid, *chunk),
            ):
                found.append(SeriesInfo(i, measurement, d, json.loads(e), s))
        return found

    def progress(self) -> tuple[int, int, int]:
        """(last sealed block, last hour rolled into 5-minute rollups, last day rolled into hourly)."""
        meta = self.meta()
        return (
            int(meta.get("sealed_through", -1)),
            int(meta.get("rolled_hour", -1)),
            int(meta.get("rolled_day", -1)),
        )

    def sealed_through(self) -> int:
        row = self.connection.execute("SELECT value FROM meta WHERE key = 'sealed_through'").fetchone()
        return -1 if row is None else int(row[0])

    def head_values(
        self, series: npt.NDArray[np.int32], field: FieldInfo, start_ns: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """(series, value or rate) of unsealed rows of one field since `start_ns` (counters: rates)."""
        head = self._head_rows()
        pick = (head.field == field.index) & (head.time >= start_ns) & np.isin(head.series, series)
        rows = head.take(pick)
        values = np.where(rows.kind == COUNTER, rows.rate, rows.values)
        valid = ~np.isnan(values)
        return rows.series[valid], values[valid]

    # -- latest --------------------------------------------------------------------------------
    def latest(self, series: list[int]) -> dict[int, list[tuple[str, int, object, float | None]]]:
        """Per series: (field, time, value, rate) of every field's last point."""
        if self._latest is not None:
            return self._latest(series)
        out: dict[int, list[tuple[str, int, object, float | None]]] = {}
        for start in range(0, len(series), _CHUNK):
            chunk = series[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for sid, data in self.connection.execute(
                f"SELECT series, data FROM latest WHERE series IN ({marks})", chunk
            ):
                out[sid] = [(f, t, v, r) for f, t, v, r in json.loads(data)]
        return out

    def kept_from_ns(self, level: str) -> int | None:
        """Where the size bound last cut `level` (raw, 5m, 1h): nothing older is kept there."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (KEPT_FROM + level,)).fetchone()
        return None if row is None else int(row[0])

    def meta(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM meta"))

    def close(self) -> None:
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is not None:
            found.close()
            self._local.connection = None
