"""The head: rows written but not yet sealed into 5-minute blocks, in memory and in the `head` table.

In memory they sit in growable numpy arrays that readers slice without copying (a reader keeps
the arrays it was given even if the writer grows or compacts them). On disk each flush adds one
`head` row, zlib-compressed; sealing replaces them all by one row with what is still unsealed, in
the same transaction, so the head table holds exactly the unsealed rows and a restart replays it.
"""

from __future__ import annotations

import struct
import threading
import zlib

import numpy as np

from collectors.sinks.store.codec import Rows

COUNTER = 2  # head rows' kind for a counter: an INT whose rate was derived when it was written
_COUNT = struct.Struct("<I")
_DTYPES = (
    ("series", np.int32),
    ("field", np.int16),
    ("kind", np.int8),
    ("time", np.int64),
    ("bits", np.int64),
    ("rate", np.float64),
)


class HeadBuffer:
    """Unsealed rows; `view()` is a consistent snapshot for readers on other threads."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        self._lock = threading.Lock()
        self._arrays = {name: np.empty(capacity, dtype) for name, dtype in _DTYPES}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, rows: Rows) -> None:
        if not len(rows):
            return
        with self._lock:
            needed = self._size + len(rows)
            capacity = next(iter(self._arrays.values())).shape[0]
            if needed > capacity:
                grown = max(needed, capacity * 2)
                arrays = {name: np.empty(grown, dtype) for name, dtype in _DTYPES}
                for name, array in arrays.items():
                    array[: self._size] = self._arrays[name][: self._size]
                self._arrays = arrays  # readers keep the old arrays they were handed
            for name, _dtype in _DTYPES:
                self._arrays[name][self._size : needed] = getattr(rows, name)
            self._size = needed

    def view(self) -> Rows:
        with self._lock:
            n = self._size
            arrays = self._arrays
        return Rows.of([arrays[name][:n] for name, _dtype in _DTYPES])

    def replace(self, rows: Rows) -> None:
        """Keep only `rows` (what sealing left)."""
        capacity = max(1 << 16, 2 * len(rows))
        arrays = {name: np.empty(capacity, dtype) for name, dtype in _DTYPES}
        for name, _dtype in _DTYPES:
            arrays[name][: len(rows)] = getattr(rows, name)
        with self._lock:
            self._arrays = arrays
            self._size = len(rows)


def pack(rows: Rows) -> bytes:
    """One `head` row: the arrays one after another, zlib level 1 (one call per flush)."""
    parts = [_COUNT.pack(len(rows))]
    parts.extend(np.ascontiguousarray(getattr(rows, name), dtype).tobytes() for name, dtype in _DTYPES)
    return zlib.compress(b"".join(parts), 1)


def unpack(data: bytes) -> Rows:
    raw = zlib.decompress(data)
    (n,) = _COUNT.unpack_from(raw, 0)
    offset = _COUNT.size
    arrays = []
    for _name, dtype in _DTYPES:
        size = n * np.dtype(dtype).itemsize
        arrays.append(np.frombuffer(raw, dtype, n, offset).copy())
        offset += size
    if offset != len(raw):
        raise ValueError("a head record's length does not match its count")
    return Rows.of(arrays)
