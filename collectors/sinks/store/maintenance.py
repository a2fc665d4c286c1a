"""What the writer's thread does between flushes: seal, roll up, keep within bounds.

Each call does a little (seal every block that is due, roll at most one hour, merge one chunk of a
day, apply retention after a seal), so a flush is never held up for long.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.sinks.store.retention import enforce
from collectors.sinks.store.rollups import roll_day_step, roll_hour
from collectors.sinks.store.sealing import seal
from collectors.sinks.store.writer import StoreWriter


@dataclass
class Maintenance:
    sealed: int = 0
    hours: int = 0
    day_steps: int = 0


def maintain(writer: StoreWriter, now_ns: int) -> Maintenance:
    done = Maintenance()
    before = writer.sealed_through
    done.sealed = seal(writer, now_ns)
    if roll_hour(writer):
        done.hours = 1
    if roll_day_step(writer):
        done.day_steps = 1
    if writer.sealed_through != before:
        enforce(writer, now_ns)
    return done
