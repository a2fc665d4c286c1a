"""The on-disk spool: order, durability across processes, torn records, and its bound."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from collectors.sinks.spool import MAGIC, SEGMENT_SUFFIX, Spool


def drain(spool: Spool) -> list[bytes]:
    delivered = []
    while (record := spool.peek()) is not None:
        delivered.append(record.payload)
        spool.ack(record)
    return delivered


def batch(number: int, size: int = 100) -> bytes:
    return f"interface,device=sw-{number:05d} ifHCInOctets={number}i {number}".encode().ljust(size, b"#")


def test_batches_come_back_in_the_order_they_were_appended(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1000)  # several segments
    for n in range(50):
        assert spool.append(batch(n))
    assert spool.state().segments > 1
    assert drain(spool) == [batch(n) for n in range(50)]
    assert spool.state().pending_batches == 0


def test_an_unacknowledged_batch_is_offered_again(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(b"first")
    spool.append(b"second")
    first = spool.peek()
    assert first is not None and first.payload == b"first"
    assert spool.peek() == first  # not acknowledged yet: still the head
    spool.ack(first)
    spool.ack(first)  # a second ack of the same record changes nothing
    assert drain(spool) == [b"second"]


def test_delivered_segments_are_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1000)
    for n in range(30):
        spool.append(batch(n))
    drain(spool)
    assert len(list(tmp_path.glob("*" + SEGMENT_SUFFIX))) == 1  # only the one still being written


def test_a_new_instance_replays_only_what_was_not_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1000)
    for n in range(20):
        spool.append(batch(n))
    for _ in range(7):
        record = spool.peek()
        assert record is not None
        spool.ack(record)
    spool.close()

    again = Spool(tmp_path, segment_bytes=1000)
    assert again.state().pending_batches == 13
    again.append(batch(20))
    assert drain(again) == [batch(n) for n in range(7, 21)]


def test_a_drained_spool_reopened_keeps_what_is_appended_afterwards(tmp_path: Path) -> None:
    # The cursor names a segment by number: numbers must keep growing across restarts.
    first = Spool(tmp_path, segment_bytes=1000)
    for n in range(25):
        first.append(batch(n))
    drain(first)
    first.close()
    second = Spool(tmp_path, segment_bytes=1000)
    assert drain(second) == []
    second.append(b"after the restart")
    second.close()
    assert drain(Spool(tmp_path, segment_bytes=1000)) == [b"after the restart"]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from collectors.sinks.spool import Spool

    spool = Spool(Path(sys.argv[1]), segment_bytes=4096)
    n = 0
    while True:
        spool.append(f"batch {n} ".encode() * 20)
        print(n, flush=True)  # acknowledged: append() has returned
        n += 1
    """
)


def test_every_acknowledged_batch_survives_the_writer_process_being_killed(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(spool_dir)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = [int(writer.stdout.readline()) for _ in range(200)]
    os.kill(writer.pid, signal.SIGKILL)  # no close(), no flush: a crash
    writer.wait()

    replayed = drain(Spool(spool_dir, segment_bytes=4096))
    assert replayed[: len(acknowledged)] == [f"batch {n} ".encode() * 20 for n in acknowledged]
    # Whatever was written after the last acknowledgement is complete and in order too.
    assert replayed == [f"batch {n} ".encode() * 20 for n in range(len(replayed))]


def test_a_torn_last_record_is_detected_skipped_and_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path)
    for n in range(5):
        spool.append(batch(n))
    spool.close()
    segment = next(tmp_path.glob("*" + SEGMENT_SUFFIX))
    size = segment.stat().st_size
    with open(segment, "r+b") as handle:  # a crash halfway through the sixth append
        handle.seek(size)
        handle.write(b"\x64\x00\x00\x00\x01\x02\x03\x04half a batch")

    with caplog.at_level(logging.WARNING):
        reopened = Spool(tmp_path)
    assert reopened.state().torn_records == 1
    assert "torn or corrupt record" in caplog.text
    reopened.append(b"written after the crash")
    assert drain(reopened) == [*(batch(n) for n in range(5)), b"written after the crash"]


def test_a_corrupt_record_is_skipped_with_the_rest_of_its_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=600)
    for n in range(10):
        spool.append(batch(n))
    spool.close()
    first_segment = sorted(tmp_path.glob("*" + SEGMENT_SUFFIX))[0]
    data = bytearray(first_segment.read_bytes())
    data[len(MAGIC) + 8 + 100 + 8 + 5] ^= 0xFF  # flip a byte inside the second record's payload
    first_segment.write_bytes(bytes(data))

    reopened = Spool(tmp_path, segment_bytes=600)
    replayed = drain(reopened)
    assert reopened.state().torn_records == 1
    assert replayed[0] == batch(0)
    assert batch(1) not in replayed
    assert replayed[-1] == batch(9)


def test_past_its_bound_the_oldest_segment_is_dropped_with_a_count_and_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, max_bytes=5000, segment_bytes=1000)
    with caplog.at_level(logging.WARNING):
        for n in range(45):  # 45 x 108 bytes fit; nothing dropped yet
            spool.append(batch(n))
    assert spool.state().dropped_batches == 0
    assert caplog.records == []

    with caplog.at_level(logging.WARNING):
        for n in range(45, 100):
            spool.append(batch(n))
    state = spool.state()
    assert state.disk_bytes <= 5000
    assert state.dropped_batches > 0
    assert state.dropped_bytes == 100 * state.dropped_batches
    assert "is full" in caplog.text and "dropped its oldest segment" in caplog.text
    replayed = drain(spool)
    # The newest batches are kept, in order, and exactly the oldest ones are gone.
    assert replayed == [batch(n) for n in range(state.dropped_batches, 100)]


def test_a_batch_larger_than_the_bound_is_refused_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1000)
    spool.append(b"small")
    assert spool.append(b"x" * 2000) is False
    assert spool.state().dropped_batches == 1
    assert drain(spool) == [b"small"]


def test_appending_after_close_starts_a_new_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(b"before")
    spool.close()
    spool.append(b"after")
    assert len(list(tmp_path.glob("*" + SEGMENT_SUFFIX))) == 2
    assert drain(Spool(tmp_path)) == [b"before", b"after"]
