"""Counts per device, severity and event, written as `syslog` points every interval (never the
text: raw messages stay in the database)."""

from __future__ import annotations

import time
from collections import Counter

from collectors.samples import Sample
from collectors.syslog.header import SEVERITY_NAMES
from collectors.syslog.records import SyslogRecord

MEASUREMENT = "syslog"
NONE = "none"

Key = tuple[int | None, str, str, str, str, str]  # device id, device, source, severity, event, vendor


class SyslogCounts:
    def __init__(self) -> None:
        self._counts: Counter[Key] = Counter()
        self._bytes: Counter[Key] = Counter()

    def add(self, records: list[SyslogRecord]) -> None:
        for record in records:
            key: Key = (
                record.device_id,
                record.device_name or "",
                # Unknown senders are told apart by address; known devices by name only, so that a
                # device sending from several addresses makes one series.
                "" if record.device_id is not None else record.source,
                SEVERITY_NAMES[record.severity],
                record.event or NONE,
                record.vendor or "unknown",
            )
            self._counts[key] += 1
            self._bytes[key] += len(record.raw)

    def drain(self, now_ns: int | None = None) -> list[Sample]:
        at = now_ns or time.time_ns()
        samples = []
        for key, count in self._counts.items():
            device_id, device, source, severity, event, vendor = key
            tags = {"severity": severity, "event": event, "vendor": vendor}
            if device:
                tags["device"] = device
            if source:
                tags["source"] = source
            samples.append(
                Sample(
                    measurement=MEASUREMENT,
                    tags=tags,
                    fields={"count": count, "bytes": self._bytes[key]},
                    time_ns=at,
                    device_id=device_id,
                )
            )
        self._counts.clear()
        self._bytes.clear()
        return samples
