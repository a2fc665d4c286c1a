"""Indexes behind the free-text `q` on large tables.

`q` means: every folded word is a substring of the row's `search_text`. A plain LIKE '%word%' says
exactly that but reads every row. The index only narrows the candidates; the LIKEs still decide, so
results are the same with or without it.
- SQLite: an FTS5 trigram table per large table (created by migration 0150, kept in step by
  triggers; the syslog messages' by the syslog store, in batches behind the insert, so a search
  there also reads the rows past the last indexed id); `TrigramCandidates` compiles to
  `id IN (SELECT rowid FROM <fts> WHERE <fts> MATCH ...)`.
- PostgreSQL: a pg_trgm GIN index on `search_text`, which LIKE '%word%' uses by itself; there
  `TrigramCandidates` compiles to TRUE.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Column, ColumnElement, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal

# table -> its FTS5 trigram table on SQLite
SQLITE_FTS_TABLES = {"device": "device_search", "syslog_message": "syslog_message_search"}
# FTS5 tables filled in batches behind the insert (by the syslog store), and where the last id
# they hold is read: their docsize shadow table has one row per indexed row. A search also reads the
# rows past that id, not indexed yet.
SQLITE_INDEXED_IDS = {"syslog_message_search": "syslog_message_search_docsize"}
# FTS5 tables without token positions (detail=none): a word is looked up as all of its trigrams
# (phrases need positions), still a superset of the rows that contain it.
SQLITE_TRIGRAMS_ONLY = frozenset({"syslog_message_search"})
# FTS5's trigram tokenizer cannot look up anything shorter than three characters.
MIN_TRIGRAM_WORD = 3


class TrigramCandidates(ColumnElement[bool]):
    """Rows of `table` that may contain every word of `words` (a superset; the LIKEs decide)."""

    # Not Boolean: SQLite (no native booleans) would render a Boolean expression as `(...) = 1`.
    type = NullType()  # type: ignore[assignment]
    inherit_cache = True
    _traverse_internals = [
        ("id_column", InternalTraversal.dp_clauseelement),
        ("fts_table", InternalTraversal.dp_string),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, id_column: ColumnElement[Any], fts_table: str, words: list[str]):
        self.id_column = id_column
        self.fts_table = fts_table
        if fts_table in SQLITE_TRIGRAMS_ONLY:
            words = sorted({word[i : i + 3] for word in words for i in range(len(word) - 2)})
        phrases = ['"' + word.replace('"', '""') + '"' for word in words]
        self.query: BindParameter[str] = bindparam(None, " AND ".join(phrases), unique=True)


def trigram_candidates(table: Any, words: list[str]) -> TrigramCandidates | None:
    fts = SQLITE_FTS_TABLES.get(table.name)
    indexable = [word for word in words if len(word) >= MIN_TRIGRAM_WORD]
    if fts is None or not indexable:
        return None
    return TrigramCandidates(table.c["id"], fts, indexable)


@compiles(TrigramCandidates, "sqlite")
def _sqlite(element: TrigramCandidates, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.id_column, **kw)
    query = compiler.process(element.query, **kw)
    fts = element.fts_table
    matches = f"SELECT rowid FROM {fts} WHERE {fts} MATCH {query}"
    ids = SQLITE_INDEXED_IDS.get(fts)
    if ids is not None:
        # One IN over both sets, not `IN (...) OR id > ...`: with the OR, SQLite reads the whole
        # table instead of looking the candidates up by id.
        id_column = cast(Column[Any], element.id_column)
        name, table = id_column.name, id_column.table.name
        matches += (
            f" UNION ALL SELECT {name} FROM {table} WHERE {name} > (SELECT coalesce(max(id), 0) FROM {ids})"
        )
    return f"{column} IN ({matches})"


@compiles(TrigramCandidates)
def _elsewhere(element: TrigramCandidates, compiler: SQLCompiler, **kw: Any) -> str:
    return "1 = 1"
