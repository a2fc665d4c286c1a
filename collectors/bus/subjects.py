"""Subjects and partitions: `<prefix>.samples.<p>`, `<prefix>.events.<p>` and `<prefix>.facts.<p>`
(discovered facts for the inventory), p = hash(device) mod N.

The hash is CRC-32 of the device key (its id, else its name), not Python's `hash()`, which is
salted per process: every collector and every service instance must put one device on the same
partition, so that one device's samples stay in order on one subject.
"""

from __future__ import annotations

import zlib

SAMPLES = "samples"
EVENTS = "events"
FACTS = "facts"


def partition_of(key: object, partitions: int) -> int:
    return zlib.crc32(str(key).encode()) % partitions


def subject(prefix: str, kind: str, partition: int) -> str:
    return f"{prefix}.{kind}.{partition}"


def stream_subjects(prefix: str) -> list[str]:
    # One wildcard over every kind: a partition's filter (`<prefix>.*.<p>`) must be a subset of
    # one stream subject (NATS 2.9 has no consumers with several filters).
    return [f"{prefix}.*.*"]


def partition_filter(prefix: str, partition: int) -> str:
    """The filter of one partition's consumer: its samples, events and facts, in publish order."""
    return f"{prefix}.*.{partition}"
