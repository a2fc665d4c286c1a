"""NetBox-style list conventions: filters with lookups, `q` search, ordering, limit/offset.

`?role=switch&role=router` (either), `name__ic=core` (contains, any case), `warranty_end__lte=2026-12-31`,
`status__n=retired`, `serial__isnull=true`, `tag=dmz`, `q=yen bai` (diacritics ignored), `ordering=-name`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, TypeDecorator, and_, cast, not_, or_
from sqlalchemy.orm import DeclarativeBase

from eams.api.errors import BadRequest
from eams.i18n.format import LOCAL_ZONE
from inventory.dates import day_month_year, parse_date
from inventory.search import fold
from inventory.search_index import trigram_candidates
from inventory.text import nfc

RESERVED = frozenset({"limit", "offset", "ordering", "q", "brief", "format"})
LOOKUPS = ("n", "ic", "gte", "lte", "gt", "lt", "isnull")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def parse_paging(params: Mapping[str, str]) -> Paging:
    limit = _int_param(params, "limit", DEFAULT_LIMIT)
    offset = _int_param(params, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise BadRequest("offset must be 0 or more", field="offset")
    return Paging(limit, offset)


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}", field=name) from None


def convert(column: ColumnElement[Any], raw: str, param: str) -> Any:
    """Turn a query-string value into the column's Python type, or say which parameter is wrong."""
    raw = nfc(raw)  # stored text is composed; a decomposed filter value must still match it
    # A text column holding a closed set of words declares it (`info={"choices": ...}`): an unknown
    # word is a bad parameter, as for a real enum column, not an empty list.
    choices = column.info.get("choices") if hasattr(column, "info") else None
    if choices is not None and raw not in choices:
        raise BadRequest(f"{param}: {raw!r} is not one of {', '.join(choices)}", field=param)
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # our UTC datetime and friends: the stored type decides
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return raw
    try:
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return python_type(raw)
        if python_type is bool:
            lowered = raw.lower()
            if lowered in {"true", "1", "yes"}:
                return True
            if lowered in {"false", "0", "no"}:
                return False
            raise ValueError
        if python_type is int:
            value = int(raw)
            if abs(value) > 2**63 - 1:
                raise ValueError
            return value
        if python_type is float:
            return float(raw)
        if python_type is decimal.Decimal:
            return decimal.Decimal(raw)
        if python_type is dt.datetime:
            day = day_month_year(raw)
            if day is not None:
                # A day as people write it (the pages' date fields): its start in the province.
                return dt.datetime.combine(day, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
            moment = dt.datetime.fromisoformat(raw)
            # A time without an offset is read as UTC, the zone everything is stored in.
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        if python_type is dt.date:
            return parse_date(raw)
    except (ValueError, decimal.InvalidOperation):
        expected = _describe(python_type)
        raise BadRequest(f"{param}: {raw!r} is not {expected}", field=param) from None
    return raw


def _describe(python_type: Any) -> str:
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return "one of " + ", ".join(member.value for member in python_type)
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        decimal.Decimal: "a number",
        dt.date: "a date (DD/MM/YYYY or YYYY-MM-DD)",
        dt.datetime: "a date-time (ISO 8601) or a day (DD/MM/YYYY, from midnight in Asia/Ho_Chi_Minh)",
    }.get(python_type, "a valid value")


def filter_clauses(
    model: type[DeclarativeBase],
    params: Sequence[tuple[str, str]],
    *,
    filterable: frozenset[str],
) -> list[ColumnElement[bool]]:
    """WHERE clauses for every filter parameter; an unknown parameter is a 400, not ignored."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for key, value in params:
        if key in RESERVED:
            continue
        name, _, lookup = key.partition("__")
        if name == "tag" and "tags" in model.__table__.c:
            grouped.setdefault(("tag", lookup or "exact"), []).append(value)
            continue
        if name not in filterable or (lookup and lookup not in LOOKUPS):
            raise BadRequest(
                f"unknown filter {key!r}; filter on one of: {', '.join(sorted(filterable))} "
                f"(optionally with __{', __'.join(LOOKUPS)}), tag, or q",
                field=key,
            )
        grouped.setdefault((name, lookup or "exact"), []).append(value)

    table = model.__table__
    clauses: list[ColumnElement[bool]] = []
    for (name, lookup), values in grouped.items():
        if name == "tag":
            tags_column = table.c["tags"]
            # Tags are stored as a JSON array; matching the quoted value works on SQLite and PostgreSQL.
            matches = [cast(tags_column, String).like(f"%{_json_quoted(v)}%") for v in values]
            clauses.append(not_(or_(*matches)) if lookup == "n" else and_(*matches))
            continue
        column = table.c[name]
        param = name if lookup == "exact" else f"{name}__{lookup}"
        if lookup == "isnull":
            flag = convert_bool(values[-1], param)
            clauses.append(column.is_(None) if flag else column.is_not(None))
        elif lookup == "ic":
            clauses.append(or_(*(column.ilike(f"%{_escape_like(v)}%", escape="\\") for v in values)))
        elif lookup in {"gte", "lte", "gt", "lt"}:
            value = convert(column, values[-1], param)
            operator = {"gte": column >= value, "lte": column <= value, "gt": column > value}
            clauses.append(operator.get(lookup, column < value))
        elif lookup == "n":
            clauses.append(column.not_in([convert(column, v, param) for v in values]))
        else:
            converted = [convert(column, v, param) for v in values]
            clauses.append(column == converted[0] if len(converted) == 1 else column.in_(converted))
    return clauses


def convert_bool(raw: str, param: str) -> bool:
    lowered = raw.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise BadRequest(f"{param}: {raw!r} is not true or false", field=param)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json_quoted(value: str) -> str:
    import json

    return _escape_like(json.dumps(value, ensure_ascii=False))


def search_clause(model: type[DeclarativeBase], q: str | None) -> ColumnElement[bool] | None:
    """Every word of `q` must appear in the folded search text (diacritics and case ignored)."""
    if not q or "search_text" not in model.__table__.c:
        return None
    words = fold(q).split()
    if not words:
        return None
    column = model.__table__.c["search_text"]
    # Longest words first: the most selective test runs first for each row.
    words = sorted(set(words), key=len, reverse=True)
    likes = [column.like(f"%{_escape_like(word)}%", escape="\\") for word in words]
    candidates = trigram_candidates(model.__table__, words)
    return and_(candidates, *likes) if candidates is not None else and_(*likes)


def apply_ordering(
    statement: Select[Any], model: type[DeclarativeBase], ordering: str | None, orderable: frozenset[str]
) -> Select[Any]:
    table = model.__table__
    if not ordering:
        return statement.order_by(table.c["id"])
    terms = []
    for term in ordering.split(","):
        term = term.strip()
        name = term.lstrip("-")
        if name not in orderable:
            raise BadRequest(
                f"cannot order by {name!r}; order by one of: {', '.join(sorted(orderable))}",
                field="ordering",
            )
        column = table.c[name]
        terms.append(column.desc() if term.startswith("-") else column.asc())
    # id last keeps paging stable when the ordering column has ties.
    return statement.order_by(*terms, table.c["id"])
