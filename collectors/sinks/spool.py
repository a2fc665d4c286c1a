"""A durable, bounded, append-only spool of batches on local disk (no external service).

Layout: `<dir>/<seq>.seg` segment files (16-digit sequence numbers, oldest first) and `<dir>/cursor`.
A segment starts with an 8-byte magic and holds records `[length u32][crc32 u32][payload]`
(little endian). The writer only ever appends, to the newest segment, and starts a new segment
when that one reaches `segment_bytes` and at every start-up (so a torn tail left by a crash is
never appended to).

Guarantees:
- `append()` returning means the batch is on disk: with `fsync=True` (the default) the segment is
  fsync'ed before it returns (and the directory when a segment is created), so it survives a
  power loss; with `fsync=False` it survives a process crash but not a power loss.
- Batches come back from `peek()` in the order they were appended, across restarts, until
  `ack()`ed. Delivery is at least once: the cursor (the first unacknowledged position) is
  replaced atomically but not fsync'ed, so after a power loss a few acknowledged batches may be
  replayed again; InfluxDB keeps one point per series and timestamp, so that is harmless.
- A torn or corrupt record (a crash in the middle of `append`, a bad sector) is detected by its
  length and CRC when the segment is scanned at start-up, logged, counted in `torn_records`, and
  skipped with the rest of that segment; it is never fatal.
- The spool never holds more than `max_bytes` of segment files. Only when an append would pass
  that bound are the oldest segments deleted, whole, with a warning naming what was lost and
  the `dropped_batches`/`dropped_bytes` counters raised. A single batch larger than the bound is
  refused the same way.

The spool is synchronous and guarded by a lock; async callers run it in a worker thread.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"EAMSSPL1"
_HEADER = struct.Struct("<II")
SEGMENT_SUFFIX = ".seg"
CURSOR_FILE = "cursor"
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
DEFAULT_SEGMENT_BYTES = 16 << 20  # 16 MiB


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One spooled batch: where it is, and its payload."""

    segment: int
    offset: int  # of the record header in the segment file
    payload: bytes

    @property
    def end(self) -> int:
        return self.offset + _HEADER.size + len(self.payload)


@dataclass(slots=True)
class _Entry:
    segment: int
    offset: int
    length: int


@dataclass
class SpoolState:
    pending_batches: int
    pending_bytes: int
    disk_bytes: int
    segments: int
    appended_batches: int
    acked_batches: int
    dropped_batches: int
    dropped_bytes: int
    torn_records: int


class SpoolError(Exception):
    """The spool cannot be used (its folder cannot be written)."""


class Spool:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        segment_bytes: int | None = None,
        fsync: bool = True,
    ) -> None:
        if max_bytes <= len(MAGIC) + _HEADER.size:
            raise ValueError(
                f"spool max_bytes must be larger than {len(MAGIC) + _HEADER.size}, got {max_bytes}"
            )
        self.directory = directory
        self.max_bytes = max_bytes
        # Several segments fit in the bound, so dropping one never drops most of the spool.
        self.segment_bytes = segment_bytes or max(4096, min(DEFAULT_SEGMENT_BYTES, max_bytes // 8))
        self.fsync = fsync
        self._lock = threading.Lock()
        self._pending: deque[_Entry] = deque()
        self._segment_sizes: dict[int, int] = {}  # every segment file on disk -> its size
        self._active: int | None = None  # segment being appended to (created by this process)
        self._active_fd: int | None = None
        # Numbers only grow, also across restarts: the cursor names a segment by its number.
        self._next_segment = 1
        self.appended_batches = 0
        self.acked_batches = 0
        self.dropped_batches = 0
        self.dropped_bytes = 0
        self.torn_records = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpoolError(f"cannot create the spool folder {directory}: {error}") from error
        self._recover()

    # -- public API -------------------------------------------------------------------------

    def append(self, payload: bytes) -> bool:
        """Store one batch durably (see the fsync policy). False if it alone exceeds the bound."""
        record_size = _HEADER.size + len(payload)
        with self._lock:
            if record_size + len(MAGIC) > self.max_bytes:
                self.dropped_batches += 1
                self.dropped_bytes += len(payload)
                log.warning(
                    "spool %s: a batch of %d bytes is larger than the spool bound (%d bytes); dropped",
                    self.directory,
                    len(payload),
                    self.max_bytes,
                )
                return False
            active_size = None if self._active is None else self._segment_sizes[self._active]
            # A new segment when there is none yet, or when this one is full (and not empty).
            if (
                active_size is None
                or self._active_fd is None  # closed: a closed segment is never appended to again
                or (len(MAGIC) < active_size and active_size + record_size > self.segment_bytes)
            ):
                self._open_new_segment()
            self._make_room(record_size)
            assert self._active is not None and self._active_fd is not None
            offset = self._segment_sizes[self._active]
            _write_all(self._active_fd, _HEADER.pack(len(payload), zlib.crc32(payload)) + payload)
            if self.fsync:
                os.fsync(self._active_fd)
            self._segment_sizes[self._active] = offset + record_size
            self._pending.append(_Entry(self._active, offset, len(payload)))
            self.appended_batches += 1
            return True

    def peek(self) -> SpoolRecord | None:
        """The oldest batch not yet acknowledged, or None when the spool is drained."""
        with self._lock:
            if not self._pending:
                return None
            entry = self._pending[0]
            with open(self._segment_path(entry.segment), "rb") as handle:
                handle.seek(entry.offset + _HEADER.size)
                payload = handle.read(entry.length)
            return SpoolRecord(entry.segment, entry.offset, payload)

    def ack(self, record: SpoolRecord) -> None:
        """Mark `record` (the one `peek()` returned) delivered; segments fully delivered are deleted."""
        with self._lock:
            if not self._pending or (self._pending[0].segment, self._pending[0].offset) != (
                record.segment,
                record.offset,
            ):
                return  # already acknowledged, or dropped by the bound meanwhile
            self._pending.popleft()
            self.acked_batches += 1
            self._delete_delivered_segments()
            if self._pending:
                head = self._pending[0]
                self._write_cursor(head.segment, head.offset)
            else:
                self._write_cursor(record.segment, record.end)

    def state(self) -> SpoolState:
        with self._lock:
            return SpoolState(
                pending_batches=len(self._pending),
                pending_bytes=sum(entry.length for entry in self._pending),
                disk_bytes=sum(self._segment_sizes.values()),
                segments=len(self._segment_sizes),
                appended_batches=self.appended_batches,
                acked_batches=self.acked_batches,
                dropped_batches=self.dropped_batches,
                dropped_bytes=self.dropped_bytes,
                torn_records=self.torn_records,
            )

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        with self._lock:
            if self._active_fd is not None:
                os.close(self._active_fd)
                self._active_fd = None

    # -- segments ---------------------------------------------------------------------------

    def _segment_path(self, segment: int) -> Path:
        return self.directory / f"{segment:016d}{SEGMENT_SUFFIX}"

    def _open_new_segment(self) -> None:
        if self._active_fd is not None:
            os.close(self._active_fd)
        number = self._next_segment
        self._next_segment += 1
        path = self._segment_path(number)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        _write_all(fd, MAGIC)
        if self.fsync:
            os.fsync(fd)
            _fsync_directory(self.directory)
        self._active, self._active_fd = number, fd
        self._segment_sizes[number] = len(MAGIC)

    def _make_room(self, record_size: int) -> None:
        """Delete the oldest segments (never the active one) until `record_size` more fits."""
        while sum(self._segment_sizes.values()) + record_size > self.max_bytes:
            oldest = min(self._segment_sizes)
            if oldest == self._active:
                # Only the active segment is left and it is too full: start a fresh one (the
                # bound check in append() guarantees the record fits there) and drop this one.
                self._open_new_segment()
            lost = [entry for entry in self._pending if entry.segment == oldest]
            self._pending = deque(entry for entry in self._pending if entry.segment != oldest)
            lost_bytes = sum(entry.length for entry in lost)
            self.dropped_batches += len(lost)
            self.dropped_bytes += lost_bytes
            self._remove_segment(oldest)
            log.warning(
                "spool %s is full (bound %d bytes): dropped its oldest segment %d with %d batches "
                "(%d bytes) that were never delivered",
                self.directory,
                self.max_bytes,
                oldest,
                len(lost),
                lost_bytes,
            )

    def _delete_delivered_segments(self) -> None:
        first_pending = self._pending[0].segment if self._pending else None
        for segment in sorted(self._segment_sizes):
            if segment == self._active or (first_pending is not None and segment >= first_pending):
                break
            self._remove_segment(segment)

    def _remove_segment(self, segment: int) -> None:
        self._segment_sizes.pop(segment, None)
        self._segment_path(segment).unlink(missing_ok=True)

    # -- cursor -----------------------------------------------------------------------------

    def _write_cursor(self, segment: int, offset: int) -> None:
        temporary = self.directory / (CURSOR_FILE + ".tmp")
        temporary.write_text(f"{segment} {offset}\n")
        os.replace(temporary, self.directory / CURSOR_FILE)

    def _read_cursor(self) -> tuple[int, int]:
        try:
            segment, offset = (self.directory / CURSOR_FILE).read_text().split()
            return int(segment), int(offset)
        except (FileNotFoundError, ValueError):
            return 0, 0

    # -- recovery ---------------------------------------------------------------------------

    def _recover(self) -> None:
        """Index what earlier processes left: every complete record after the cursor."""
        cursor_segment, cursor_offset = self._read_cursor()
        segments = sorted(
            int(path.name.removesuffix(SEGMENT_SUFFIX))
            for path in self.directory.glob("*" + SEGMENT_SUFFIX)
            if path.name.removesuffix(SEGMENT_SUFFIX).isdigit()
        )
        self._next_segment = max([cursor_segment, *segments]) + 1
        for segment in segments:
            path = self._segment_path(segment)
            if segment < cursor_segment:
                path.unlink(missing_ok=True)  # delivered before the last stop
                continue
            self._segment_sizes[segment] = path.stat().st_size
            start = cursor_offset if segment == cursor_segment else 0
            for entry in self._scan(segment, path):
                if entry.offset >= start:
                    self._pending.append(entry)
        self._delete_delivered_segments()
        if self._pending:
            log.info(
                "spool %s: %d batches (%d bytes) waiting to be replayed",
                self.directory,
                len(self._pending),
                sum(entry.length for entry in self._pending),
            )

    def _scan(self, segment: int, path: Path) -> list[_Entry]:
        entries: list[_Entry] = []
        with open(path, "rb") as handle:
            data = handle.read()
        if data[: len(MAGIC)] != MAGIC:
            if data:
                self.torn_records += 1
                log.warning("spool segment %s has no valid header; its %d bytes are skipped", path, len(data))
            return entries
        offset = len(MAGIC)
        while offset < len(data):
            header = data[offset : offset + _HEADER.size]
            if len(header) == _HEADER.size:
                length, crc = _HEADER.unpack(header)
                payload = data[offset + _HEADER.size : offset + _HEADER.size + length]
                if len(payload) == length and zlib.crc32(payload) == crc:
                    entries.append(_Entry(segment, offset, length))
                    offset += _HEADER.size + length
                    continue
            self.torn_records += 1
            log.warning(
                "spool segment %s: torn or corrupt record at byte %d (%d bytes skipped); "
                "an interrupted write, the batches before it are kept",
                path,
                offset,
                len(data) - offset,
            )
            break
        return entries


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
