"""Keeps messages in the database: batches of rows, unknown senders, sign-in addresses, and a
bounded history (days and rows). Every method does database work: call it from a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    CursorResult,
    Dialect,
    Table,
    column,
    delete,
    insert,
    literal,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from collectors.syslog.models import SyslogLoginAddress, SyslogMessage, SyslogUnknownSender
from collectors.syslog.records import SyslogRecord
from inventory.db import Database
from inventory.search_index import SQLITE_INDEXED_IDS

FTS_TABLE = "syslog_message_search"  # SQLite only (migration 0850); inventory.search_index knows it
FTS_AUTOMERGE = 16
# Rows added to the SQLite search index at a time, behind the insert (see `_index_behind`).
FTS_INDEX_BATCH = 20_000
# The last id the index holds: FTS5 keeps a row per indexed message in its docsize table.
INDEXED_THROUGH = f"SELECT coalesce(max(id), 0) FROM {SQLITE_INDEXED_IDS[FTS_TABLE]}"
# The FTS5 table as SQLAlchemy sees it: its hidden column named like it takes commands ('delete').
_FTS = sql_table(FTS_TABLE, column(FTS_TABLE), column("rowid"), column("search_text"))


class SyslogStore:
    def __init__(self, db: Database, index_batch: int = FTS_INDEX_BATCH) -> None:
        self.db = db
        self.index_batch = index_batch
        self._rows: RowInserter | None = None
        self._fts_tuned = False

    def write(self, records: list[SyslogRecord]) -> None:
        """One transaction for the batch (one statement for all its rows), then the unknown senders."""
        if not records:
            return
        rows = [record.row() for record in records]
        with self.db.session(actor="syslog") as session:
            connection = session.connection()
            inserter = self._inserter(connection.dialect)
            connection.exec_driver_sql(inserter.sql, inserter.parameters(rows))
            if connection.dialect.name == "sqlite":  # PostgreSQL: a pg_trgm GIN index keeps itself
                self._index_behind(connection)
        unknown = [record for record in records if record.device_id is None]
        if unknown:
            self._count_unknown(unknown)

    def _index_behind(self, connection: Connection) -> None:
        """Adds the rows past the index's last id to the FTS5 index once there are `index_batch`
        of them: FTS5 writes a segment per transaction and merges them again and again, so larger
        batches cost less per row. Searches read the rows not indexed yet by themselves
        (`inventory.search_index`), so they still find everything."""
        if not self._fts_tuned:
            # FTS5 merges its index segments 4 at a time by default, rewriting a log-sized
            # index again and again: 16 at a time costs ingest 40 % less CPU (a setting kept in
            # the table; searches read a few more segments).
            connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', {FTS_AUTOMERGE})"
            )
            self._fts_tuned = True
        indexed = int(connection.exec_driver_sql(INDEXED_THROUGH).scalar_one())
        last = int(connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM syslog_message").scalar_one())
        if last - indexed >= self.index_batch:
            # Ids only grow (AUTOINCREMENT), so the rows past the last indexed id are the new ones.
            connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
                "SELECT id, search_text FROM syslog_message WHERE id > ?",
                (indexed,),
            )

    def _inserter(self, dialect: Dialect) -> RowInserter:
        if self._rows is None or self._rows.dialect is not dialect:
            self._rows = RowInserter(cast(Table, SyslogMessage.__table__), dialect)
        return self._rows

    def _count_unknown(self, records: Iterable[SyslogRecord]) -> None:
        latest: dict[str, tuple[int, SyslogRecord, datetime]] = {}
        for record in records:
            count, _, first = latest.get(record.source, (0, record, record.received_at))
            latest[record.source] = (count + 1, record, first)
        # A remote collector and the service may insert the same sender at once: retry once.
        for attempt in range(2):
            try:
                with self.db.session(actor="syslog") as session:
                    rows = {
                        row.source: row
                        for row in session.scalars(
                            select(SyslogUnknownSender).where(SyslogUnknownSender.source.in_(list(latest)))
                        )
                    }
                    for source, (count, record, first) in latest.items():
                        row = rows.get(source)
                        if row is None:
                            row = SyslogUnknownSender(source=source, count=0, first_seen=first)
                            session.add(row)
                        row.count += count
                        row.last_seen = record.received_at
                        row.last_hostname = (record.hostname or "")[:255] or None
                        row.last_vendor = record.vendor
                        row.last_message = record.message[:1000]
                return
            except IntegrityError:
                if attempt:
                    raise

    def forget_unknown(self, sources: Iterable[str]) -> None:
        """Senders now matched to a device are no longer unknown."""
        wanted = list(sources)
        if wanted:
            with self.db.session(actor="syslog") as session:
                session.execute(delete(SyslogUnknownSender).where(SyslogUnknownSender.source.in_(wanted)))

    def login_addresses(self, device_id: int, user: str) -> set[str]:
        with self.db.session() as session:
            return set(
                session.scalars(
                    select(SyslogLoginAddress.address).where(
                        SyslogLoginAddress.device_id == device_id, SyslogLoginAddress.user == user[:255]
                    )
                )
            )

    def remember_logins(self, logins: list[tuple[int, str, str, datetime]]) -> None:
        """(device id, user, address, time) sign-ins of a batch, in one transaction."""
        if not logins:
            return
        latest: dict[tuple[int, str, str], tuple[int, datetime, datetime]] = {}
        for device_id, user, address, at in logins:
            key = (device_id, user[:255], address[:45])
            count, first, _ = latest.get(key, (0, at, at))
            latest[key] = (count + 1, first, at)
        for attempt in range(2):
            try:
                with self.db.session(actor="syslog") as session:
                    devices = {key[0] for key in latest}
                    rows = {
                        (row.device_id, row.user, row.address): row
                        for row in session.scalars(
                            select(SyslogLoginAddress).where(SyslogLoginAddress.device_id.in_(devices))
                        )
                        if (row.device_id, row.user, row.address) in latest
                    }
                    for key, (count, first, last) in latest.items():
                        row = rows.get(key)
                        if row is None:
                            row = SyslogLoginAddress(
                                device_id=key[0], user=key[1], address=key[2], count=0, first_seen=first
                            )
                            session.add(row)
                        row.count += count
                        row.last_seen = last
                return
            except IntegrityError:
                if attempt:
                    raise

    def prune(self, max_age: timedelta, max_rows: int, now: datetime | None = None) -> int:
        """Drop messages older than `max_age` and all but the newest `max_rows`; returns how many."""
        cutoff = (now or datetime.now(UTC)) - max_age
        removed = 0
        with self.db.session(actor="syslog") as session:
            connection = session.connection()
            removed += self._delete(connection, SyslogMessage.received_at < cutoff)
            boundary = session.scalar(
                select(SyslogMessage.id).order_by(SyslogMessage.id.desc()).offset(max_rows).limit(1)
            )
            if boundary is not None:
                removed += self._delete(connection, SyslogMessage.id <= boundary)
        return removed

    def _delete(self, connection: Connection, where: ColumnElement[bool]) -> int:
        if connection.dialect.name == "sqlite":
            # An external-content FTS5 table is told what leaves it, with the text it indexed
            # (a plain DELETE of the rows would leave their entries in the index for ever).
            # Rows past the index's last id were never indexed: they are not to be deleted from it.
            table = cast(Table, SyslogMessage.__table__)
            through = int(connection.exec_driver_sql(INDEXED_THROUGH).scalar_one())
            indexed = select(literal("delete"), table.c.id, table.c.search_text).where(
                where, table.c.id <= through
            )
            connection.execute(insert(_FTS).from_select([FTS_TABLE, "rowid", "search_text"], indexed))
        return _rowcount(connection.execute(delete(SyslogMessage).where(where)))


class RowInserter:
    """An INSERT of many rows with SQLAlchemy's own conversions (UTC times, JSON, bytes) applied
    once per column, handed to the driver's executemany: the statement SQLAlchemy would run,
    without building and checking its parameters row by row (a third of the write's time)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.dialect = dialect
        self.columns = [column.name for column in table.columns if not column.primary_key]
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(self.columns)}) "
            f"VALUES ({', '.join(marker for _ in self.columns)})"
        )
        self.converters = [_converter(table.columns[name].type, dialect) for name in self.columns]

    def parameters(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them (values in column order, converted)."""
        values_of = itemgetter(*self.columns)
        converted = [(index, convert) for index, convert in enumerate(self.converters) if convert is not None]
        out = []
        for row in rows:
            values = list(values_of(row))
            for index, convert in converted:
                values[index] = convert(values[index])
            out.append(tuple(values))
        return out


def _converter(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    convert = type_.dialect_impl(dialect).bind_processor(dialect)
    if convert is None:
        return None
    if not isinstance(type_, JSON):  # JSON turns None into 'null'; the others keep it NULL
        process = convert
        # A missing device time went through the UTC type's whole chain to stay None.
        return lambda value: None if value is None else process(value)
    # Most messages have no structured data: `{}` is serialised once.
    empty = convert({})
    return lambda value: empty if value == {} else convert(value)


def _rowcount(result: object) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
