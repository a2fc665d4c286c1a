"""The store's writer: samples in, durable rows out. One thread at a time (the sink's worker).

- `ingest(samples)`: every numeric field becomes a row (series, field, time, 64-bit value); a
  counter also gets its per-second rate here, by the alert engine's rule
  (`collectors.snmp.rates.counter_rate`) with the counter width the schema declares and the
  device's restarts seen in its uptime; text fields are kept as the latest value only.
- `flush()`: the rows since the last flush go to the `head` table in one transaction (after it
  returns they survive a crash) and to the in-memory head that readers see.
- `maintain(now)`: seals finished 5-minute blocks (see `sealing.py`), rolls up finished hours and
  days (`rollups.py`), and enforces retention and the size bound (`retention.py`).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from collectors.samples import Sample
from collectors.schema import UPTIME, Schema
from collectors.sinks.store.codec import FLOAT, INT, Rows
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.database import connect
from collectors.sinks.store.head import COUNTER, HeadBuffer, pack, unpack
from collectors.sinks.store.registry import Registry, SeriesState
from collectors.snmp.rates import counter_rate

log = logging.getLogger(__name__)

NS = 1_000_000_000
BLOCK_NS = 300 * NS  # the unit of sealing, of the 5-minute rollups and of /metrics/top
SEAL_GRACE_NS = 60 * NS  # a block is sealed this long after it ends: polls stamped inside it arrive late
_INT64 = (-(1 << 63), (1 << 63) - 1)
_NEVER = -(1 << 62)


@dataclass
class WriterStats:
    """What the writer did since the store was created (persisted in `meta`)."""

    samples: int = 0  # samples made durable
    rows: int = 0
    blocks_sealed: int = 0
    late_rows: int = 0  # rows for blocks already sealed (merged into them)
    skipped_fields: int = 0  # NaN/inf, out of int64, a value that does not fit the field's type
    unclean_stops: int = 0
    lost_samples: int = 0  # received but never flushed: a crash between two flushes
    dropped: dict[str, int] = field(default_factory=dict)  # rows dropped by retention and the bound
    dropped_bytes: int = 0

    def as_meta(self) -> dict[str, str]:
        return {"stats": json.dumps(self.__dict__, sort_keys=True)}


class StoreWriter:
    def __init__(
        self,
        path: Path,
        config: MetricsConfig,
        schema: Schema | None,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.path = path
        self.config = config
        self.clock = clock
        self.connection: sqlite3.Connection = connect(path)
        self.registry = Registry(self.connection, schema)
        self.head = HeadBuffer()
        meta = dict(self.connection.execute("SELECT key, value FROM meta"))
        self.stats = WriterStats(**json.loads(meta.get("stats", "{}")))
        self.sealed_through = int(meta.get("sealed_through", -1))  # last block sealed
        self.rolled_hour = int(meta.get("rolled_hour", -1))  # last hour rolled into 5-minute rollups
        self.rolled_day = int(meta.get("rolled_day", -1))  # last day rolled into hourly rollups
        self.roll_cursor = int(meta.get("roll_cursor", 0))  # next series of the day being rolled
        if meta.get("open") == "1":
            self.stats.unclean_stops += 1
            log.warning("the metrics store %s was not closed cleanly (a crash or kill -9)", path)
        self._uptime: dict[str, tuple[int, float]] = {}
        self._restart_at: dict[str, int] = {}
        self._touched: set[int] = set()
        self._pending_samples = 0
        self._reset_pending()
        self._load_latest()
        self._replay_head()
        self._save_meta(open="1")

    # -- ingest -------------------------------------------------------------------------------
    def _reset_pending(self) -> None:
        self._p_series: list[int] = []
        self._p_time: list[int] = []
        self._p_ints: list[int] = []  # rows per segment (a sample) that are integers
        self._p_floats: list[int] = []
        self._i_field: list[int] = []
        self._i_value: list[int] = []
        self._i_kind: list[int] = []
        self._i_rate: list[float] = []
        self._f_field: list[int] = []
        self._f_value: list[float] = []

    def ingest(self, samples: Iterable[Sample]) -> None:
        uptime_measurement, uptime_field = UPTIME
        # A poll's uptime is looked at before its counters, so a restart resets their rates.
        ordered = sorted(samples, key=lambda s: (s.time_ns, s.measurement != uptime_measurement))
        series_for = self.registry.series_for
        i_field, i_value, i_kind, i_rate = self._i_field, self._i_value, self._i_kind, self._i_rate
        f_field, f_value = self._f_field, self._f_value
        for sample in ordered:
            series = series_for(sample)
            info = series.measurement
            t = sample.time_ns
            if info.name == uptime_measurement:
                self._see_uptime(series.device, t, sample.fields.get(uptime_field))
            restart = self._restart_at.get(series.device, _NEVER)
            last = series.last
            index, kinds, counters = info.index, info.kinds, info.counter
            ints = floats = 0
            for name, value in sample.fields.items():
                idx = index.get(name)
                if idx is None:
                    idx = self.registry.add_field(info, name, value, sample)
                kind = kinds[idx]
                if kind == INT:
                    if isinstance(value, float):
                        if not value.is_integer():
                            self.stats.skipped_fields += 1
                            continue
                        value = int(value)
                    elif not isinstance(value, int) or not _INT64[0] <= value <= _INT64[1]:
                        self.stats.skipped_fields += 1
                        continue
                    rate = None
                    base = 3 * idx
                    if counters[idx]:
                        if len(last) > base and last[base] is not None:
                            previous_at = last[base]
                            if t > previous_at:  # type: ignore[operator]
                                rate = counter_rate(
                                    last[base + 1],  # type: ignore[arg-type]
                                    previous_at / NS,  # type: ignore[operator]
                                    value,
                                    t / NS,
                                    info.bits[idx],
                                    previous_at < restart <= t,  # type: ignore[operator]
                                )
                        i_kind.append(COUNTER)
                    else:
                        i_kind.append(INT)
                    i_field.append(idx)
                    i_value.append(int(value))
                    i_rate.append(math.nan if rate is None else rate)
                    ints += 1
                elif kind == FLOAT:
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        self.stats.skipped_fields += 1
                        continue
                    number = float(value)
                    if not math.isfinite(number):
                        self.stats.skipped_fields += 1
                        continue
                    f_field.append(idx)
                    f_value.append(number)
                    floats += 1
                    rate = None
                else:  # text: the latest value only
                    if not isinstance(value, str):
                        value = str(value)
                    rate = None
                base = 3 * idx
                if len(last) <= base or last[base] is None or t >= last[base]:  # type: ignore[operator]
                    series.remember(idx, t, value, rate)
            if ints or floats:
                self._p_series.append(series.id)
                self._p_time.append(t)
                self._p_ints.append(ints)
                self._p_floats.append(floats)
            self._touched.add(series.id)
        self._pending_samples += len(ordered)

    def _see_uptime(self, device: str, t: int, uptime: object) -> None:
        if isinstance(uptime, bool) or not isinstance(uptime, int | float):
            return
        previous = self._uptime.get(device)
        if previous is not None and t > previous[0] and uptime < previous[1]:
            self._restart_at[device] = t
        if previous is None or t >= previous[0]:
            self._uptime[device] = (t, float(uptime))

    def _pending_rows(self) -> Rows:
        series = np.asarray(self._p_series, np.int32)
        times = np.asarray(self._p_time, np.int64)
        ints = np.asarray(self._p_ints, np.int64)
        floats = np.asarray(self._p_floats, np.int64)
        int_rows = Rows(
            np.repeat(series, ints),
            np.asarray(self._i_field, np.int16),
            np.asarray(self._i_kind, np.int8),
            np.repeat(times, ints),
            np.asarray(self._i_value, np.int64),
            np.asarray(self._i_rate, np.float64),
        )
        count = int(floats.sum())
        float_rows = Rows(
            np.repeat(series, floats),
            np.asarray(self._f_field, np.int16),
            np.full(count, FLOAT, np.int8),
            np.repeat(times, floats),
            np.asarray(self._f_value, np.float64).view(np.int64),
            np.full(count, np.nan),
        )
        return Rows.concat([int_rows, float_rows])

    # -- flush --------------------------------------------------------------------------------
    def flush(self) -> int:
        """Make everything ingested durable; returns the number of samples it covered."""
        samples = self._pending_samples
        rows = self._pending_rows()
        c = self.connection
        c.execute("BEGIN")
        try:
            if len(rows):
                c.execute("INSERT INTO head (data) VALUES (?)", (pack(rows),))
            self.stats.samples += samples
            self.stats.rows += len(rows)
            self._write_meta()
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            self._reload_registry()
            raise
        finally:
            self._pending_samples = 0
            self._reset_pending()
        self.head.append(rows)
        return samples

    def _reload_registry(self) -> None:
        """After a rolled-back transaction the in-memory registry may name rows that do not exist."""
        self.registry = Registry(self.connection, self.registry.schema)
        self._load_latest()

    # -- state --------------------------------------------------------------------------------
    def _write_meta(self, **extra: str) -> None:
        values = {
            "sealed_through": str(self.sealed_through),
            "rolled_hour": str(self.rolled_hour),
            "rolled_day": str(self.rolled_day),
            "roll_cursor": str(self.roll_cursor),
            **self.stats.as_meta(),
            **extra,
        }
        self.connection.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            values.items(),
        )

    def _save_meta(self, **extra: str) -> None:
        c = self.connection
        c.execute("BEGIN")
        self._write_meta(**extra)
        c.execute("COMMIT")

    def record_lost(self, samples: int) -> None:
        """Samples received before a crash that never reached a flush (counted by the sink)."""
        if samples > 0:
            self.stats.lost_samples += samples
            log.warning("the metrics store lost %d samples received in the second before a crash", samples)
            self._save_meta()

    def _load_latest(self) -> None:
        series = self.registry.series
        for sid, data in self.connection.execute("SELECT series, data FROM latest"):
            state = series.get(sid)
            if state is None:
                continue
            index = state.measurement.index
            for name, at, value, rate in json.loads(data):
                idx = index.get(name)
                if idx is not None:
                    state.remember(idx, at, value, rate)

    def _replay_head(self) -> None:
        """Rows that were flushed but not sealed when the last process ended."""
        parts = [unpack(data) for (data,) in self.connection.execute("SELECT data FROM head ORDER BY seq")]
        rows = Rows.concat(parts)
        if not len(rows):
            return
        self.head.append(rows)
        ordered = rows.sorted()
        ends = np.flatnonzero(
            np.append(
                (ordered.series[1:] != ordered.series[:-1]) | (ordered.field[1:] != ordered.field[:-1]), True
            )
        )
        values = ordered.values
        series = self.registry.series
        for i in ends.tolist():
            state = series.get(int(ordered.series[i]))
            if state is None:
                continue
            idx = int(ordered.field[i])
            kind = int(ordered.kind[i])
            value: object = float(values[i]) if kind == FLOAT else int(ordered.bits[i])
            if state.measurement.types[idx] == "bool":
                value = bool(value)
            rate = float(ordered.rate[i])
            state.remember(idx, int(ordered.time[i]), value, None if math.isnan(rate) else rate)
        log.info("replayed %d unsealed rows of the metrics store", len(rows))

    def latest_rows(self, series_ids: Iterable[int]) -> list[tuple[int, str]]:
        """(series, JSON of [field, time, value, rate] per field) for the `latest` table."""
        out = []
        registry = self.registry.series
        for sid in series_ids:
            state = registry.get(sid)
            if state is None:
                continue
            names = state.measurement.names
            last = state.last
            values = [
                [names[i // 3], last[i], last[i + 1], last[i + 2]]
                for i in range(0, len(last), 3)
                if last[i] is not None
            ]
            out.append((sid, json.dumps(values, ensure_ascii=False, separators=(",", ":"))))
        return out

    def take_touched(self) -> set[int]:
        touched, self._touched = self._touched, set()
        return touched

    def series_state(self, sid: int) -> SeriesState | None:
        return self.registry.series.get(sid)

    def close(self) -> None:
        """Flush, persist the latest values, and mark the store closed cleanly."""
        try:
            if self._pending_samples:
                self.flush()
            c = self.connection
            c.execute("BEGIN")
            c.executemany(
                "INSERT INTO latest (series, data) VALUES (?, ?) "
                "ON CONFLICT (series) DO UPDATE SET data = excluded.data",
                self.latest_rows(self.take_touched()),
            )
            self._write_meta(open="0")
            c.execute("COMMIT")
        finally:
            self.connection.close()
