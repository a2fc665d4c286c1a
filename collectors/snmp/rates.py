"""Per-second rates of counters, aware of 32-bit wraps and of device restarts.

Counters stay raw in the time-series store; these rates are for the alert engine. A Counter32
that goes down while the device did not restart has wrapped (it counts on from 2^32); a Counter64
that goes down, or any counter on a device whose sysUpTime went back, was reset: no rate then.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

WRAP = {32: 1 << 32, 64: 1 << 64}


@dataclass(slots=True)
class _Last:
    value: int
    at: float


class CounterRates:
    def __init__(self) -> None:
        self._last: dict[Hashable, _Last] = {}

    def rate(
        self, key: Hashable, value: int, at: float, width: int = 64, reset: bool = False
    ) -> float | None:
        """The rate since the previous value under `key`, or None for a first value or a reset."""
        previous = self._last.get(key)
        self._last[key] = _Last(value, at)
        if previous is None or reset or at <= previous.at:
            return None
        delta = value - previous.value
        if delta < 0:
            if width != 32:
                return None  # a 64-bit counter does not wrap in practice: it was reset
            delta += WRAP[32]
        return delta / (at - previous.at)

    def forget(self, prefix: Hashable) -> None:
        """Drop every key whose first element is `prefix` (a retired device)."""
        for key in [k for k in self._last if isinstance(k, tuple) and k and k[0] == prefix]:
            del self._last[key]
