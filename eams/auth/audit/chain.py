"""Appending to the audit log, checking its hash chain, and pruning it by retention.

Each record's `hash` is SHA-256 over its previous record's hash and a canonical JSON of its own
fields; the head row remembers the last id and hash. Editing, inserting or deleting a row (in the
middle or at the end) makes `verify` fail at that row. Retention removes the oldest rows and moves
the chain's anchor to the last removed hash, and says so in a record of its own (`audit.pruned`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eams.auth.audit.models import AuditHead, AuditRecord
from inventory.models.base import utcnow

GENESIS = "0" * 64
HEAD_ID = 1
HASHED_FIELDS = (
    "id",
    "time",
    "actor",
    "actor_user_id",
    "actor_token_id",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "object_repr",
    "agency_id",
    "request_id",
    "address",
    "user_agent",
    "detail",
)


@dataclass(frozen=True)
class AuditEntry:
    """One action to record. Nothing secret goes into it: callers pass names, ids and outcomes."""

    action: str
    actor: str
    outcome: str = "ok"
    actor_user_id: int | None = None
    actor_token_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    object_repr: str | None = None
    agency_id: int | None = None
    request_id: str | None = None
    address: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def record_hash(prev_hash: str, values: dict[str, Any]) -> str:
    body = json.dumps(
        {name: _canonical(values.get(name)) for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode()).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    """The head row, locked for this transaction: PostgreSQL locks the row, SQLite takes its write
    lock at the UPDATE (before any read, so two writers never read the same head)."""
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_id=AuditHead.last_id))
    head = session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is not None:
        return head
    try:
        with session.begin_nested():
            head = AuditHead(id=HEAD_ID, last_id=0, last_hash=GENESIS, anchor_id=0, anchor_hash=GENESIS)
            session.add(head)
        return head
    except IntegrityError:
        found = session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
        assert found is not None
        return found


def _text(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


def append(session: Session, entry: AuditEntry) -> AuditRecord:
    """Add `entry` at the end of the chain, in the caller's transaction."""
    head = _lock_head(session)
    # Python datetimes carry microseconds, which SQLite and PostgreSQL both give back unchanged.
    now = utcnow()
    values: dict[str, Any] = {
        "id": head.last_id + 1,
        "time": now,
        "actor": entry.actor[:150],
        "actor_user_id": entry.actor_user_id,
        "actor_token_id": entry.actor_token_id,
        "action": entry.action[:100],
        "outcome": entry.outcome[:20],
        "object_type": _text(entry.object_type, 50),
        "object_id": entry.object_id,
        "object_repr": _text(entry.object_repr, 255),
        "agency_id": entry.agency_id,
        "request_id": _text(entry.request_id, 64),
        "address": _text(entry.address, 64),
        "user_agent": _text(entry.user_agent, 255),
        "detail": dict(entry.detail),
    }
    digest = record_hash(head.last_hash, values)
    record = AuditRecord(**values, prev_hash=head.last_hash, hash=digest)
    session.add(record)
    head.last_id = record.id
    head.last_hash = digest
    session.flush()
    return record


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: `ok`, how many records it checked, and the first problem."""

    ok: bool
    checked: int
    bad_id: int | None = None
    problem: str | None = None


def _values(record: AuditRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in HASHED_FIELDS}


def _records(session: Session, batch: int = 2000) -> Iterator[AuditRecord]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.id > after).order_by(AuditRecord.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> ChainReport:
    """Walk the chain from its anchor to its head and recompute every hash."""
    head = session.get(AuditHead, HEAD_ID)
    anchor_id, prev_hash = (head.anchor_id, head.anchor_hash) if head else (0, GENESIS)
    last_id, last_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    expected_id = anchor_id + 1
    checked = 0
    for record in _records(session):
        if record.id != expected_id:
            return ChainReport(False, checked, expected_id, f"record {expected_id} is missing")
        if record.prev_hash != prev_hash:
            return ChainReport(False, checked, record.id, "it does not follow the record before it")
        if record_hash(prev_hash, _values(record)) != record.hash:
            return ChainReport(False, checked, record.id, "its content was changed after it was written")
        prev_hash = record.hash
        expected_id += 1
        checked += 1
    if expected_id - 1 != last_id or prev_hash != last_hash:
        return ChainReport(False, checked, expected_id, "records after it were removed (the head is further)")
    return ChainReport(True, checked)


def prune(session: Session, retention_days: int, *, now: datetime | None = None) -> int:
    """Remove records older than `retention_days` (0: keep all); returns how many were removed."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    head = _lock_head(session)
    through = session.scalar(select(func.max(AuditRecord.id)).where(AuditRecord.time < cutoff))
    if through is None:
        return 0
    last_removed = session.get(AuditRecord, through)
    assert last_removed is not None
    anchor_hash = last_removed.hash
    result = session.execute(delete(AuditRecord).where(AuditRecord.id <= through))
    removed = int(getattr(result, "rowcount", 0) or 0)
    head.anchor_id = through
    head.anchor_hash = anchor_hash
    session.flush()
    append(
        session,
        AuditEntry(
            action="audit.pruned",
            actor="system",
            detail={"removed": removed, "through_id": through, "retention_days": retention_days},
        ),
    )
    return removed
