"""The audit log's hash chain: any changed, inserted or removed record is found; retention
re-anchors the chain so that what is left still verifies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, text, update

from eams.auth import audit
from eams.auth.audit import AuditEntry
from eams.auth.audit.models import AuditRecord
from inventory.db import Database
from inventory.models.base import utcnow


def _write(db: Database, count: int) -> None:
    with db.session() as session:
        for n in range(count):
            audit.append(session, AuditEntry(action="devices.update", actor=f"user:nguoi.{n}", object_id=n))


def _verify(db: Database) -> audit.ChainReport:
    with db.session() as session:
        return audit.verify(session)


def test_an_untouched_chain_verifies(db: Database) -> None:
    _write(db, 5)
    report = _verify(db)
    assert report.ok and report.checked == 5


def test_a_changed_record_is_found(db: Database) -> None:
    _write(db, 5)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET actor = 'user:ke.gian' WHERE id = 3"))
    report = _verify(db)
    assert not report.ok and report.bad_id == 3 and "changed" in (report.problem or "")


def test_a_removed_record_in_the_middle_or_at_the_end_is_found(db: Database) -> None:
    _write(db, 5)
    with db.session() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == 2))
    assert _verify(db).bad_id == 2
    with db.session() as session:
        session.execute(delete(AuditRecord))
    _write(db, 3)  # a fresh chain continues from the head: ids 6, 7, 8
    with db.session() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == 8))
    report = _verify(db)
    assert not report.ok


def test_retention_removes_old_records_and_the_rest_still_verifies(db: Database) -> None:
    _write(db, 4)
    with db.session() as session:
        old = utcnow() - timedelta(days=400)
        # Ageing breaks these two records' hashes, but they are the ones retention removes.
        session.execute(update(AuditRecord).where(AuditRecord.id <= 2).values(time=old))
    with db.session() as session:
        removed = audit.prune(session, 365)
    assert removed == 2
    report = _verify(db)
    assert report.ok and report.checked == 3  # records 3 and 4, and the record of the pruning
    with db.session() as session:
        last = session.get(AuditRecord, 5)
        assert last is not None and last.action == "audit.pruned" and last.detail["removed"] == 2
        assert audit.prune(session, 0) == 0  # 0 keeps everything
