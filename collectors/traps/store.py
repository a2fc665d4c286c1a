"""Keeps received traps in the database: a bounded recent history and the unknown-OID table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError

from collectors.traps.models import TrapLog, UnknownTrap
from inventory.db import Database


@dataclass(frozen=True, slots=True)
class TrapRecord:
    received_at: datetime
    source: str
    agent_address: str | None
    device_id: int | None
    version: str
    security_name: str
    inform: bool
    trap_oid: str
    name: str
    mapped: bool
    severity: str
    category: str
    message: str
    labels: dict[str, str]
    varbinds: list[dict[str, Any]]


class TrapStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, record: TrapRecord) -> None:
        with self.db.session(actor="trap-receiver") as session:
            session.add(
                TrapLog(
                    received_at=record.received_at,
                    source=record.source,
                    agent_address=record.agent_address,
                    device_id=record.device_id,
                    version=record.version,
                    security_name=record.security_name[:100],
                    inform=record.inform,
                    trap_oid=record.trap_oid[:255],
                    name=record.name,
                    mapped=record.mapped,
                    severity=record.severity,
                    category=record.category,
                    message=record.message[:1000],
                    labels=record.labels,
                    varbinds=record.varbinds,
                )
            )
        if not record.mapped:
            self._count_unknown(record)

    def _count_unknown(self, record: TrapRecord) -> None:
        # Two receivers (service and a remote collector) may insert the same row at once: retry once.
        for attempt in range(2):
            try:
                with self.db.session(actor="trap-receiver") as session:
                    row = session.scalar(
                        select(UnknownTrap).where(
                            UnknownTrap.trap_oid == record.trap_oid[:255], UnknownTrap.source == record.source
                        )
                    )
                    if row is None:
                        row = UnknownTrap(
                            trap_oid=record.trap_oid[:255],
                            source=record.source,
                            version=record.version,
                            count=0,
                            first_seen=record.received_at,
                        )
                        session.add(row)
                    row.count += 1
                    row.last_seen = record.received_at
                    row.last_varbinds = record.varbinds
                    row.version = record.version
                    row.device_id = record.device_id
                return
            except IntegrityError:
                if attempt:
                    raise

    def prune(self, max_age: timedelta, max_rows: int, now: datetime | None = None) -> int:
        """Drop traps older than `max_age` and all but the newest `max_rows`; returns how many."""
        cutoff = (now or datetime.now(UTC)) - max_age
        removed = 0
        with self.db.session(actor="trap-receiver") as session:
            removed += _rowcount(session.execute(delete(TrapLog).where(TrapLog.received_at < cutoff)))
            boundary = session.scalar(
                select(TrapLog.id).order_by(TrapLog.id.desc()).offset(max_rows).limit(1)
            )
            if boundary is not None:
                removed += _rowcount(session.execute(delete(TrapLog).where(TrapLog.id <= boundary)))
        return removed


def _rowcount(result: object) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
