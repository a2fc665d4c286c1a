"""One `stats` row: per series of one measurement's part (1,024 slots), one field's count, sum,
min, max and last over a 5-minute block, of its values, or of its rates for a counter. Stored as
plain arrays (no compression), so `/metrics/top` reads a block of 5,000 devices in milliseconds."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PART = 1024  # series slots per stats row
_COUNT = struct.Struct("<I")


@dataclass(frozen=True)
class BlockStats:
    slot: npt.NDArray[np.int64]  # the series' slot in its measurement
    count: npt.NDArray[np.int64]
    sum: npt.NDArray[np.float64]
    min: npt.NDArray[np.float64]
    max: npt.NDArray[np.float64]
    last: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.slot.shape[0])


def pack(part: int, stats: BlockStats) -> bytes:
    offsets = (stats.slot - part * PART).astype(np.uint16)
    return b"".join(
        (
            _COUNT.pack(len(stats)),
            offsets.tobytes(),
            stats.count.astype(np.int32).tobytes(),
            stats.sum.astype(np.float64).tobytes(),
            stats.min.astype(np.float64).tobytes(),
            stats.max.astype(np.float64).tobytes(),
            stats.last.astype(np.float64).tobytes(),
        )
    )


def unpack(part: int, data: bytes) -> BlockStats:
    (n,) = _COUNT.unpack_from(data, 0)
    if len(data) != _COUNT.size + n * (2 + 4 + 4 * 8):
        raise ValueError("a stats row's length does not match its count")
    offset = _COUNT.size
    slot = np.frombuffer(data, np.uint16, n, offset).astype(np.int64) + part * PART
    offset += 2 * n
    count = np.frombuffer(data, np.int32, n, offset).astype(np.int64)
    offset += 4 * n
    floats = [np.frombuffer(data, np.float64, n, offset + i * 8 * n) for i in range(4)]
    return BlockStats(slot, count, *floats)
