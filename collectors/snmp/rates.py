"""Per-second rates of counters, aware of 32-bit wraps and of device restarts.

Counters stay raw in the time-series store; these rates are for the alert engine, and the same
rule (`counter_rate`) turns stored counters back into rates when metrics are read
(collectors/sinks/store/steps.py), so a graph and an alert never disagree. A Counter32 that goes
down while the device did not restart has wrapped (it counts on from 2^32); a Counter64 that goes
down, or any counter on a device whose sysUpTime went back, was reset: no rate then.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

WRAP = {32: 1 << 32, 64: 1 << 64}


def counter_rate(
    previous: int, previous_at: float, value: int, at: float, width: int = 64, reset: bool = False
) -> float | None:
    """The per-second rate from `previous` (seen at `previous_at`, seconds) to `value` (at `at`),
    or None when there is none: a reset, a restart (`reset`), or time that did not move on."""
    if reset or at <= previous_at:
        return None
    delta = value - previous
    if delta < 0:
        if width != 32:
            return None  # a 64-bit counter does not wrap in practice: it was reset
        if previous >= WRAP[32]:
            # No Counter32 holds that: the field was read from its 64-bit column (a field may be
            # read at either width, ifHCInOctets or its fallback ifInOctets), which was reset.
            return None
        delta += WRAP[32]
    return delta / (at - previous_at)


@dataclass(slots=True)
class _Last:
    value: int
    at: float


class CounterRates:
    def __init__(self) -> None:
        self._last: dict[Hashable, _Last] = {}
        # The keys under each first element (a device), so that forgetting one device touches only
        # its own keys: scanning every key per device made a poller's close() quadratic (minutes
        # for 10,000 devices at a service's stop, the event loop blocked; found by bench/scale).
        self._by_prefix: dict[Hashable, set[Hashable]] = {}

    def rate(
        self, key: Hashable, value: int, at: float, width: int = 64, reset: bool = False
    ) -> float | None:
        """The rate since the previous value under `key`, or None for a first value or a reset."""
        previous = self._last.get(key)
        self._last[key] = _Last(value, at)
        if previous is None:
            if isinstance(key, tuple) and key:
                self._by_prefix.setdefault(key[0], set()).add(key)
            return None
        return counter_rate(previous.value, previous.at, value, at, width, reset)

    def forget(self, prefix: Hashable) -> None:
        """Drop every key whose first element is `prefix` (a retired device)."""
        for key in self._by_prefix.pop(prefix, ()):
            self._last.pop(key, None)

    def __len__(self) -> int:
        return len(self._last)
