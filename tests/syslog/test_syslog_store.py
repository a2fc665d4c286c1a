"""The store writes a batch through the driver with SQLAlchemy's own column conversions: what it
stores reads back exactly as SQLAlchemy's own INSERT of the same rows (on SQLite and PostgreSQL),
and the search index finds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from bench.syslog.corpus import message
from collectors.syslog.formats import load_formats
from collectors.syslog.listeners import RawMessage
from collectors.syslog.models import SyslogMessage
from collectors.syslog.processor import SyslogProcessor
from collectors.syslog.records import SyslogRecord
from collectors.syslog.resolver import DeviceResolver
from collectors.syslog.store import FTS_TABLE, SyslogStore
from eams.api.listing import search_clause
from inventory.db import Database
from inventory.search_index import trigram_candidates

RECEIVED_NS = int(datetime(2026, 5, 2, 4, 15, 41, 250_000, tzinfo=UTC).timestamp() * 10**9)
ODD = [
    b'<165>1 2026-05-02T11:15:40.123+07:00 host app 12 ID47 [x@1 a="b"] \xef\xbb\xbfhi \xff\x00 there',
    b"<14>May  2 11:15:40 PA-220 su: x",  # no zone: the legacy zone, Vietnam's
    b"garbage \x01\x02",
]


def _records() -> list[SyslogRecord]:
    processor = SyslogProcessor(load_formats(), DeviceResolver(None), None, ZoneInfo("Asia/Ho_Chi_Minh"))
    raws = [message(i) for i in range(12)] + ODD
    return [
        processor.process(RawMessage(data, "10.0.0.9", 5140, "tcp", RECEIVED_NS + i, truncated=i == 3))[0]
        for i, data in enumerate(raws)
    ]


def _stored(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as session:
        rows = session.execute(select(SyslogMessage).order_by(SyslogMessage.id)).scalars().all()
        columns = [c.name for c in SyslogMessage.__table__.columns if c.name != "id"]
        return [tuple(getattr(row, name) for name in columns) for row in rows]


def test_a_batch_reads_back_as_sqlalchemys_own_insert_would_store_it(db: Database) -> None:
    records = _records()
    SyslogStore(db).write(records)
    written = _stored(db)
    with db.session() as session:
        session.execute(delete(SyslogMessage))
        session.execute(insert(SyslogMessage), [record.row() for record in records])
    assert written == _stored(db)
    assert len(written) == len(records)
    assert written[12][1] == datetime(2026, 5, 2, 4, 15, 40, 123_000, tzinfo=UTC)  # device_time in UTC
    assert written[12][-3] == ODD[0] and written[3][-2] is True  # raw bytes as sent; truncated


def _found(db: Database) -> list[str]:
    wanted = trigram_candidates(SyslogMessage.__table__, ["accepted", "publickey"])
    query = select(SyslogMessage.message).where(SyslogMessage.search_text.like("%accepted publickey%"))
    if wanted is not None:  # SQLite: the FTS5 table narrows; PostgreSQL: the GIN index is implicit
        query = query.where(wanted)
    with db.session() as session:
        return list(session.scalars(query).all())


def test_the_search_index_finds_what_a_batch_stored(db: Database) -> None:
    SyslogStore(db, index_batch=1).write(_records())
    found = _found(db)
    assert len(found) == 3 and all(text.startswith("Accepted publickey for ops") for text in found)


def test_a_search_finds_the_rows_not_indexed_yet(db: Database) -> None:
    """SQLite: the store indexes in large batches behind the insert; the rows past the index's last
    id are read by the search itself, before and after pruning."""
    store = SyslogStore(db, index_batch=2 * len(_records()))
    store.write(_records())  # indexed: nothing yet
    assert len(_found(db)) == 3
    store.write(_records())  # now both batches are indexed
    store.write(_records())  # and the third is not
    assert len(_found(db)) == 9
    if db.engine.dialect.name == "sqlite":
        assert len(_indexed(db, "accepted")) >= 6
    now = datetime(2026, 5, 3, tzinfo=UTC)
    store.prune(timedelta(days=30), max_rows=len(_records()) + 1, now=now)  # the index's rows but one
    assert len(_found(db)) == 3
    store.prune(timedelta(days=30), max_rows=0, now=now)
    assert _found(db) == []
    store.write(_records())
    assert len(_found(db)) == 3
    if db.engine.dialect.name == "sqlite":  # FTS5's own check: pruning removed only indexed rows
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('integrity-check')")


def _indexed(db: Database, word: str) -> set[int]:
    """Ids the SQLite search index itself holds for `word` (whether or not their rows still exist)."""
    wanted = trigram_candidates(SyslogMessage.__table__, [word])
    assert wanted is not None
    with db.session() as session:
        found = session.connection().exec_driver_sql(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (wanted.query.value,)
        )
        return set(found.scalars().all())


def test_pruned_messages_leave_the_search_index(db: Database) -> None:
    store = SyslogStore(db, index_batch=1)
    store.write(_records())
    if db.engine.dialect.name != "sqlite":  # PostgreSQL's GIN index follows its rows by itself
        return
    with db.session() as session:
        ids = set(session.scalars(select(SyslogMessage.id)).all())
    assert len(_indexed(db, "accepted") & ids) == 3  # written and indexed
    now = datetime(2026, 5, 3, tzinfo=UTC)
    assert store.prune(timedelta(days=30), max_rows=0, now=now) == len(ids)
    assert not _indexed(db, "accepted") & ids  # no entry left behind for a pruned row
    store.write(_records())  # and the index still takes and finds new rows
    with db.session() as session:
        fresh = set(session.scalars(select(SyslogMessage.id)).all())
    assert len(_indexed(db, "accepted") & fresh) == 3


def test_a_search_looks_its_candidates_up_by_id(db: Database) -> None:
    """SQLite: the index's matches and the rows not indexed yet are looked up by id; the table is
    never read whole (an `IN (...) OR id > ...` did that, newest first, until it had a page)."""
    if db.engine.dialect.name != "sqlite":
        return
    clause = search_clause(SyslogMessage, "accepted publickey")
    assert clause is not None
    query = select(SyslogMessage.id).where(clause).order_by(SyslogMessage.id.desc()).limit(50)
    compiled = query.compile(dialect=db.engine.dialect)
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    with db.session() as session:
        plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", parameters).all()
    steps = [str(row[-1]) for row in plan]
    assert not [
        step for step in steps if step.startswith("SCAN syslog_message ") or step == "SCAN syslog_message"
    ]
    assert any("syslog_message_search VIRTUAL TABLE" in step for step in steps)
