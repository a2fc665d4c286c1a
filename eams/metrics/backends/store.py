"""The embedded store as a metrics backend (collectors/sinks/store/reader.py underneath).

Besides raw points it answers two things fast: buckets of 5 minutes or an hour over long ranges
(its rollups, then the block statistics of hours not rolled up yet, then the unsealed head), and
`/metrics/top` over 5,000 devices (the block statistics hold every series' count and sum per
5-minute block, so ranking is a few array sums).
"""

from __future__ import annotations

import numpy as np

from collectors.sinks.store.reader import FieldInfo, RawSeries, SeriesInfo, StoreReader
from collectors.sinks.store.rollups import BLOCKS_PER_HOUR, FIVE_MINUTES, HOURLY
from collectors.sinks.store.stats import PART
from collectors.sinks.store.steps import Points, Steps, step_stats
from collectors.sinks.store.writer import BLOCK_NS, NS
from eams.metrics.backends.base import Latest, SeriesKey, key_of

HOUR_NS = 3600 * NS
DAY_NS = 86400 * NS


def _matches(series: SeriesInfo, entity: dict[str, str]) -> bool:
    return all(series.entity.get(key) == value for key, value in entity.items())


class StoreBackend:
    name = "store"

    def __init__(self, reader: StoreReader, raw_retention_s: float) -> None:
        self.reader = reader
        self.raw_retention_s = raw_retention_s
        # Per measurement: the series it had when last read, and their slots and devices. Series
        # are only ever added, so their count says when to read them again (a top-10 over 5,000
        # devices otherwise spends most of its time re-reading 40,000 series rows).
        self._slots: dict[int, tuple[int, np.ndarray, list[str], np.ndarray]] = {}

    def raw_since_ns(self) -> int:
        """Raw points are kept from here on (older ranges are answered from rollups): the
        retention, or later where the store's size bound cut raw points younger than that."""
        import time

        return max(time.time_ns() - int(self.raw_retention_s * NS), self.reader.kept_from_ns("raw") or 0)

    def five_minute_since_ns(self) -> int:
        """Where the size bound cut the 5-minute rollups (0: only their retention applies)."""
        return self.reader.kept_from_ns("5m") or 0

    def _series(self, measurement: str, devices: list[str], entity: dict[str, str]) -> list[SeriesInfo]:
        return [s for s in self.reader.series(measurement, devices) if _matches(s, entity)]

    def raw(
        self,
        measurement: str,
        fields: list[str],
        devices: list[str],
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> dict[SeriesKey, dict[str, RawSeries]]:
        if not self.reader.exists():
            return {}
        series = self._series(measurement, devices, entity)
        known = self.reader.fields(measurement)
        out: dict[SeriesKey, dict[str, RawSeries]] = {key_of(s.device, s.entity): {} for s in series}
        by_id = {s.id: key_of(s.device, s.entity) for s in series}
        for name in fields:
            info = known.get(name)
            if info is None:
                continue
            for sid, raw in self.reader.raw(list(by_id), info, start_ns, end_ns).items():
                out[by_id[sid]][name] = raw
        return out

    def latest(
        self, measurement: str, fields: list[str], devices: list[str]
    ) -> dict[SeriesKey, dict[str, Latest]]:
        if not self.reader.exists():
            return {}
        series = self.reader.series(measurement, devices)
        wanted = set(fields)
        found = self.reader.latest([s.id for s in series])
        out: dict[SeriesKey, dict[str, Latest]] = {}
        for s in series:
            values = {
                name: Latest(int(at), value, rate)
                for name, at, value, rate in found.get(s.id, [])
                if name in wanted
            }
            if values:
                out[key_of(s.device, s.entity)] = values
        return out

    # -- buckets over long ranges ----------------------------------------------------------------
    def buckets(
        self,
        level: int,
        measurement: str,
        fields: list[str],
        devices: list[str],
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> dict[SeriesKey, dict[str, list[Steps]]]:
        """Per series and field, Steps of 300 s (and of 3600 s for rolled days) covering the range."""
        if not self.reader.exists():
            return {}
        head = self.reader._head_rows()  # first: see reader.py on reading head before blocks
        sealed_through, rolled_hour, rolled_day = self.reader.progress()
        series = self._series(measurement, devices, entity)
        known = self.reader.fields(measurement)
        mid = self.reader.measurement_id(measurement)
        out: dict[SeriesKey, dict[str, list[Steps]]] = {key_of(s.device, s.entity): {} for s in series}
        if mid is None or not series:
            return out
        by_id = {s.id: s for s in series}
        ids = list(by_id)
        for name in fields:
            info = known.get(name)
            if info is None:
                continue
            parts: dict[int, list[Steps]] = {sid: [] for sid in ids}
            hour_from = start_ns // HOUR_NS
            if level == HOURLY:
                last_day = min(rolled_day, (end_ns - 1) // DAY_NS)
                first_day = start_ns // DAY_NS
                if last_day >= first_day:
                    for sid, found in self.reader.rollups(HOURLY, ids, info, first_day, last_day).items():
                        parts[sid].extend(found)
                    hour_from = max(hour_from, (last_day + 1) * 24)
            last_hour = min(rolled_hour, (end_ns - 1) // HOUR_NS)
            if last_hour >= hour_from:
                for sid, found in self.reader.rollups(FIVE_MINUTES, ids, info, hour_from, last_hour).items():
                    parts[sid].extend(found)
            block_from = max(start_ns // BLOCK_NS, (max(rolled_hour, last_hour) + 1) * BLOCKS_PER_HOUR)
            block_from = max(block_from, hour_from * BLOCKS_PER_HOUR)
            block_to = min(sealed_through, (end_ns - 1) // BLOCK_NS)
            self._stats_steps(mid, info, by_id, block_from, block_to, parts)
            self._head_steps(head, info, by_id, max(start_ns, (sealed_through + 1) * BLOCK_NS), end_ns, parts)
            for sid, found in parts.items():
                s = by_id[sid]
                out[key_of(s.device, s.entity)][name] = found
        return out

    def _stats_steps(
        self,
        mid: int,
        info: FieldInfo,
        by_id: dict[int, SeriesInfo],
        first_block: int,
        last_block: int,
        parts: dict[int, list[Steps]],
    ) -> None:
        if first_block > last_block:
            return
        slot_to_id = {s.slot: sid for sid, s in by_id.items()}
        wanted_parts = sorted({s.slot // PART for s in by_id.values()})
        for block, stats in self.reader.stats_blocks(mid, info, first_block, last_block, wanted_parts):
            for i, slot in enumerate(stats.slot.tolist()):
                sid = slot_to_id.get(slot)
                if sid is None:
                    continue
                parts[sid].append(
                    Steps(
                        block * BLOCK_NS,
                        BLOCK_NS,
                        stats.count[i : i + 1].copy(),
                        stats.sum[i : i + 1].copy(),
                        stats.min[i : i + 1].copy(),
                        stats.max[i : i + 1].copy(),
                        stats.last[i : i + 1].copy(),
                    )
                )

    def _head_steps(
        self,
        head: object,
        info: FieldInfo,
        by_id: dict[int, SeriesInfo],
        start_ns: int,
        end_ns: int,
        parts: dict[int, list[Steps]],
    ) -> None:
        from collectors.sinks.store.codec import Rows
        from collectors.sinks.store.head import COUNTER

        assert isinstance(head, Rows)
        if start_ns >= end_ns or not len(head):
            return
        ids = np.asarray(sorted(by_id), np.int32)
        pick = (head.field == info.index) & (head.time >= start_ns) & (head.time < end_ns)
        pick &= np.isin(head.series, ids)
        rows = head.take(pick).sorted()
        values = np.where(rows.kind == COUNTER, rows.rate, rows.values)
        first_block = start_ns // BLOCK_NS
        steps = (end_ns - 1) // BLOCK_NS - first_block + 1
        for sid in np.unique(rows.series).tolist():
            mine = (rows.series == sid) & ~np.isnan(values)
            points = Points(rows.time[mine], values[mine])
            parts[sid].append(step_stats(points, first_block * BLOCK_NS, BLOCK_NS, steps))

    # -- top -------------------------------------------------------------------------------------
    def window(
        self,
        measurement: str,
        field: str,
        devices: list[str] | None,
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> tuple[dict[int, tuple[int, float]], dict[int, str]]:
        """Per series slot: (count, sum) of the field's values (a counter's rates) from start_ns
        (a block boundary) to now, and the device of each slot; only the devices given."""
        if not self.reader.exists():
            return {}, {}
        head = self.reader._head_rows()
        sealed_through, _hour, _day = self.reader.progress()
        mid = self.reader.measurement_id(measurement)
        info = self.reader.fields(measurement).get(field)
        if mid is None or info is None:
            return {}, {}
        all_slots, slot_devices, slot_of = self._series_slots(mid)
        size = int(all_slots.max()) + 1 if all_slots.size else 0
        count = np.zeros(size, np.int64)
        total = np.zeros(size)
        slot, c, s = self.reader.block_stats(mid, info, start_ns // BLOCK_NS, sealed_through)
        np.add.at(count, slot, c)
        np.add.at(total, slot, s)
        series_ids, values = self._head_all(
            head, info, max(start_ns, (sealed_through + 1) * BLOCK_NS), end_ns
        )
        if series_ids.size:
            inside = series_ids < slot_of.size
            series_ids, values = series_ids[inside], values[inside]
            head_slots = slot_of[series_ids]
            valid = (head_slots >= 0) & (head_slots < size)
            np.add.at(count, head_slots[valid], 1)
            np.add.at(total, head_slots[valid], values[valid])
        device_of = dict(zip(all_slots.tolist(), slot_devices, strict=True))
        allowed = None if devices is None else set(devices)
        out: dict[int, tuple[int, float]] = {}
        for slot_number in np.flatnonzero(count).tolist():
            device = device_of.get(slot_number)
            if device is None or (allowed is not None and device not in allowed):
                continue
            out[slot_number] = (int(count[slot_number]), float(total[slot_number]))
        if entity:
            infos = self.reader.series_by_slots(measurement, list(out))
            keep = {s.slot for s in infos if _matches(s, entity)}
            out = {k: v for k, v in out.items() if k in keep}
        return out, device_of

    def _head_all(
        self, head: object, info: FieldInfo, start_ns: int, end_ns: int
    ) -> tuple[np.ndarray, np.ndarray]:
        from collectors.sinks.store.codec import Rows
        from collectors.sinks.store.head import COUNTER

        assert isinstance(head, Rows)
        pick = (head.field == info.index) & (head.time >= start_ns) & (head.time < end_ns)
        rows = head.take(pick)
        values = np.where(rows.kind == COUNTER, rows.rate, rows.values)
        valid = ~np.isnan(values)
        return rows.series[valid], values[valid]

    def _series_slots(self, mid: int) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(slot, device) of every series of the measurement, and slot by series id (-1: none)."""
        connection = self.reader.connection
        (known,) = connection.execute("SELECT count(*) FROM series WHERE measurement = ?", (mid,)).fetchone()
        cached = self._slots.get(mid)
        if cached is not None and cached[0] == known:
            return cached[1], cached[2], cached[3]
        pairs = connection.execute("SELECT id, slot FROM series WHERE measurement = ?", (mid,)).fetchall()
        top = max((sid for sid, _slot in pairs), default=0)
        slot_of = np.full(top + 1, -1, np.int64)
        for sid, slot in pairs:
            slot_of[sid] = slot
        slots, devices = self.reader.slots(mid)
        self._slots[mid] = (int(known), slots, devices, slot_of)
        return slots, devices, slot_of
