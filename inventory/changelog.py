"""Writes an ObjectChange row for every create, update and delete of an inventory object.

Hooked on the ORM session, so every path (API, CSV import, discovery review, CLI) is logged
without having to remember to. The actor comes from `session.info["actor"]`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from inventory.models.base import InventoryObject, utcnow
from inventory.models.changes import ChangeAction, ObjectChange

_PENDING_DELETES = "_changelog_deletes"


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def snapshot(obj: InventoryObject) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    excluded = obj.change_log_exclude
    return {
        column.key: jsonable(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in excluded
    }


def _is_logged(obj: object) -> bool:
    return isinstance(obj, InventoryObject) and getattr(obj, "change_logged", False)


@event.listens_for(Session, "before_flush")
def _remember_deleted(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    # Deleted rows cannot be read after the DELETE, so take their snapshot now.
    deletes = session.info.setdefault(_PENDING_DELETES, [])
    for obj in session.deleted:
        if _is_logged(obj):
            deletes.append((obj, snapshot(obj)))


@event.listens_for(Session, "after_flush")
def _write_changes(session: Session, _ctx: UOWTransaction) -> None:
    actor = str(session.info.get("actor", "system"))
    request_id = session.info.get("request_id")
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def row(obj: Any, action: ChangeAction, before: Any, after: Any, object_id: int) -> None:
        rows.append(
            {
                "time": now,
                "actor": actor,
                "action": action,
                "object_type": obj.__tablename__,
                "object_id": object_id,
                "object_repr": str(obj)[:255],
                "before": before,
                "after": after,
                "request_id": request_id,
            }
        )

    for obj in session.new:
        if _is_logged(obj):
            row(obj, ChangeAction.create, None, snapshot(obj), obj.id)
    for obj in session.dirty:
        if not _is_logged(obj) or not session.is_modified(obj, include_collections=False):
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            key = attr.key
            if key in obj.change_log_exclude or key == "updated_at":
                continue
            history = state.attrs[key].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = getattr(obj, key)
                if jsonable(old) != jsonable(new):
                    before[key] = jsonable(old)
                    after[key] = jsonable(new)
        if after:
            row(obj, ChangeAction.update, before, after, obj.id)
    for obj, before_snapshot in session.info.pop(_PENDING_DELETES, []):
        row(obj, ChangeAction.delete, before_snapshot, None, before_snapshot["id"])
    if rows:
        session.connection().execute(insert(ObjectChange), rows)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING_DELETES, None)
