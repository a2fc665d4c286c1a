"""The store's rollups and retention, through the writer's own maintenance and the query service:
once raw points are past their retention they are dropped and counted, and the same range is
answered from 5-minute, then hourly rollups whose means are the rates that were written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.samples import Sample
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.database import used_bytes
from collectors.sinks.store.maintenance import maintain
from collectors.sinks.store.reader import StoreReader
from collectors.sinks.store.retention import enforce
from collectors.sinks.store.writer import StoreWriter
from eams.metrics import query
from eams.metrics.backends.store import StoreBackend
from eams.metrics.service import MetricsService
from eams.metrics.wiring import measurement_schema

NS = 1_000_000_000
HOUR_S = 3600
DEVICE = "sw-lab"
CONFIG = MetricsConfig(
    raw_retention=HOUR_S, rollup_5m_retention=86400, rollup_1h_retention=30 * 86400, top_window_max=300
)


def rate_of_hour(hour: int) -> int:
    """Bytes a second on the interface during an hour (a different rate each hour)."""
    return 1000 * (hour % 24 + 1)


def polls(first_s: int, last_s: int, every_s: int) -> Iterator[list[Sample]]:
    """One poll each `every_s`: uptime, and an interface whose in_octets grow at its hour's rate."""
    counter = 0
    for at in range(first_s, last_s, every_s):
        if at > first_s:
            counter += rate_of_hour(at // HOUR_S) * every_s  # the rate a point answers is its hour's
        yield [
            Sample(
                "snmp_system", {"device": DEVICE}, {"uptime_s": float(at - first_s + 100)}, time_ns=at * NS
            ),
            Sample(
                "interface",
                {"device": DEVICE, "role": "switch", "ifIndex": "1", "ifName": "Gi0/1"},
                {"in_octets": counter, "speed_mbps": 1000},
                time_ns=at * NS,
                counters=frozenset({"in_octets"}),
            ),
        ]


def write_and_maintain(path: Path, samples: Iterator[list[Sample]]) -> StoreWriter:
    writer = StoreWriter(path, CONFIG, measurement_schema())
    for batch in samples:
        writer.ingest(batch)
    writer.flush()
    now = time.time_ns()
    for _ in range(10_000):  # each call does a little; repeat until nothing is left to do
        done = maintain(writer, now)
        if not (done.sealed or done.hours or done.day_steps):
            break
    # Retention runs after each seal; five minutes on, the next one also drops what rolling made.
    maintain(writer, now + 300 * NS)
    return writer


def series(
    path: Path, start_s: int, end_s: int, step: str, config: MetricsConfig = CONFIG
) -> dict[str, object]:
    schema = measurement_schema()
    interface = schema["interface"]
    window = query.time_range(config, since=None, start=str(start_s), end=str(end_s), step=step, steps=None)
    request = query.SeriesRequest(
        interface, [interface.fields["in_octets"]], [query.Device(1, DEVICE)], {}, window
    )
    store = StoreBackend(StoreReader(path), config.raw_retention)
    answer: dict[str, object] = (
        MetricsService(schema, config, store=store).series(request).model_dump(mode="json")
    )
    return answer


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "metrics.sqlite3"


def test_hours_past_raw_retention_are_dropped_counted_and_answered_from_5_minute_rollups(store: Path) -> None:
    now_s = int(time.time())
    first = (now_s - 5 * HOUR_S) // HOUR_S * HOUR_S  # three whole hours, all past raw retention
    last = first + 3 * HOUR_S
    writer = write_and_maintain(store, polls(first, last, 60))
    assert writer.stats.dropped.get("raw", 0) > 0 and writer.stats.dropped_bytes > 0
    raw_left = writer.connection.execute("SELECT count(*) FROM raw").fetchone()[0]
    writer.close()
    assert raw_left == 0

    answer = series(store, first, last, "5m")
    assert (answer["resolution"], answer["step_s"]) == ("5m", 300)
    (found,) = answer["series"]  # type: ignore[misc]
    assert found["kind"] == "rate" and len(found["time"]) == 36
    for t, mean, low, high, count in zip(
        found["time"], found["mean"], found["min"], found["max"], found["count"], strict=True
    ):
        expected = rate_of_hour(t // HOUR_S)
        assert mean == low == high == pytest.approx(expected), t
        assert count == (4 if t == first else 5)  # the very first poll has no rate


def test_a_day_past_5_minute_retention_is_answered_from_hourly_rollups(store: Path) -> None:
    day = int(time.time()) // 86400 - 3  # a whole UTC day three days ago
    first, last = day * 86400, (day + 1) * 86400
    writer = write_and_maintain(store, polls(first, last, 300))
    assert writer.stats.dropped.get("raw", 0) > 0 and writer.stats.dropped.get("5m", 0) > 0
    left = writer.connection.execute("SELECT level, count(*) FROM rollup GROUP BY level").fetchall()
    writer.close()
    assert dict(left) == {3600: 2}  # one hourly row for each series (interface, uptime), nothing finer

    answer = series(store, first, last, "1h")
    assert (answer["resolution"], answer["step_s"]) == ("1h", 3600)
    (found,) = answer["series"]  # type: ignore[misc]
    assert len(found["time"]) == 24
    for t, mean, count in zip(found["time"], found["mean"], found["count"], strict=True):
        assert mean == pytest.approx(rate_of_hour(t // HOUR_S)), t
        assert count == (11 if t == first else 12)


def test_retention_settings_must_nest() -> None:
    with pytest.raises(ValueError, match="rollup_5m_retention must be at least raw_retention"):
        MetricsConfig(raw_retention=3 * 86400, rollup_5m_retention=86400)
    with pytest.raises(ValueError, match="rollup_1h_retention"):
        MetricsConfig(rollup_5m_retention=40 * 86400, rollup_1h_retention=30 * 86400)


def test_a_store_over_its_disk_bound_drops_its_oldest_raw_day_first_and_counts_it(store: Path) -> None:
    """`max_bytes` (EAMS_METRICS_MAX_BYTES): past it, the level whose oldest data is oldest
    relative to its retention loses its oldest day until the store fits; the hours dropped from
    raw are still answered from their 5-minute rollups."""
    roomy = MetricsConfig(raw_retention=48 * HOUR_S, top_window_max=300)
    now_s = int(time.time())
    first = (now_s - 30 * HOUR_S) // HOUR_S * HOUR_S  # 30 hours of raw points, all within retention
    writer = StoreWriter(store, roomy, measurement_schema())
    for batch in polls(first, now_s - 600, 60):
        copies = [  # 40 interfaces: enough bytes to bound
            Sample(p.measurement, p.tags | {"ifIndex": str(n)}, p.fields, p.time_ns, counters=p.counters)
            for p in batch
            if p.measurement == "interface"
            for n in range(2, 41)
        ]
        writer.ingest(batch + copies)
    writer.flush()
    now = time.time_ns()
    for _ in range(10_000):
        done = maintain(writer, now)
        if not (done.sealed or done.hours or done.day_steps):
            break
    assert writer.stats.dropped == {}  # nothing past its retention yet
    used = used_bytes(writer.connection)
    oldest_block = writer.connection.execute("SELECT min(block) FROM raw").fetchone()[0]
    writer.close()

    bound = used // 2
    # The setting's floor (64 MiB) is for production; a test store is a few MiB.
    bounded = StoreWriter(store, roomy.model_copy(update={"max_bytes": bound}), measurement_schema())
    enforce(bounded, now)
    after = used_bytes(bounded.connection)
    newest_left = bounded.connection.execute("SELECT min(block), max(block) FROM raw").fetchone()
    five_minute_rows = bounded.connection.execute(
        "SELECT count(*) FROM rollup WHERE level = 300"
    ).fetchone()[0]
    dropped, dropped_bytes = dict(bounded.stats.dropped), bounded.stats.dropped_bytes
    bounded.close()
    assert after <= bound < used
    assert set(dropped) == {"raw"} and dropped["raw"] > 0 and dropped_bytes > 0  # raw, not the rollups
    assert newest_left[0] > oldest_block and newest_left[1] is not None  # the oldest went, the newest stayed
    assert five_minute_rows > 0

    # An hour raw no longer holds, though within its retention: answered from the rollups.
    hour = first + 8 * HOUR_S
    answer = series(store, hour, hour + HOUR_S, "5m", config=roomy)
    assert answer["resolution"] == "5m"
    (found,) = [s for s in answer["series"] if s["entity"].get("ifIndex") == "1"]  # type: ignore[union-attr]
    assert found["mean"] and all(m == pytest.approx(rate_of_hour(hour // HOUR_S)) for m in found["mean"])
