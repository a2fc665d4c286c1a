"""Who may read which audit records, and the filters of `GET /api/v1/audit`.

An unscoped admin reads everything. Everyone else reads their own actions (as a person, or as
the token they call with), and a caller scoped to an agency also the actions on that agency's
objects (the agency the object belonged to when the action was recorded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select

from eams.auth.audit.models import AuditRecord
from eams.auth.principal import Principal
from inventory.csv_io import defuse
from inventory.models import Role

CSV_COLUMNS = (
    ("id", "Số / No."),
    ("time", "Thời gian (UTC) / Time (UTC)"),
    ("actor", "Người thực hiện / Actor"),
    ("action", "Hành động / Action"),
    ("outcome", "Kết quả / Outcome"),
    ("object_type", "Loại đối tượng / Object type"),
    ("object_id", "Mã đối tượng / Object id"),
    ("object_repr", "Đối tượng / Object"),
    ("agency_id", "Đơn vị / Agency id"),
    ("address", "Địa chỉ / Address"),
    ("user_agent", "Trình duyệt / User agent"),
    ("request_id", "Mã yêu cầu / Request id"),
    ("detail", "Chi tiết / Detail"),
    ("hash", "Mã băm / Hash"),
)


def visible_to(caller: Principal) -> ColumnElement[bool] | None:
    """The records `caller` may read (None: all of them)."""
    if caller.role is Role.admin and caller.agency_ids is None:
        return None
    own: list[ColumnElement[bool]] = []
    if caller.user_id is not None:
        own.append(AuditRecord.actor_user_id == caller.user_id)
    if caller.token_id is not None:
        own.append(AuditRecord.actor_token_id == caller.token_id)
    if caller.agency_ids is not None:
        own.append(AuditRecord.agency_id.in_(caller.agency_ids))
    return or_(*own) if own else false()


@dataclass(frozen=True)
class AuditFilter:
    """Every given value must match (AND)."""

    actor: str | None = None
    action: str | None = None  # exact, or a family with a trailing * (user.*)
    outcome: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    user_id: int | None = None
    agency_id: int | None = None
    request_id: str | None = None
    time_gte: datetime | None = None
    time_lte: datetime | None = None


def filtered(caller: Principal, where: AuditFilter) -> Select[Any]:
    statement = select(AuditRecord)
    scope = visible_to(caller)
    if scope is not None:
        statement = statement.where(scope)
    equal: list[tuple[Any, Any]] = [
        (AuditRecord.actor, where.actor),
        (AuditRecord.outcome, where.outcome),
        (AuditRecord.object_type, where.object_type),
        (AuditRecord.object_id, where.object_id),
        (AuditRecord.actor_user_id, where.user_id),
        (AuditRecord.agency_id, where.agency_id),
        (AuditRecord.request_id, where.request_id),
    ]
    for column, value in equal:
        if value is not None:
            statement = statement.where(column == value)
    action = where.action
    if action is not None:
        # `login` matches login; `user.*` matches every user action.
        if action.endswith("*"):
            statement = statement.where(AuditRecord.action.startswith(action[:-1], autoescape=True))
        else:
            statement = statement.where(AuditRecord.action == action)
    if where.time_gte is not None:
        statement = statement.where(AuditRecord.time >= where.time_gte)
    if where.time_lte is not None:
        statement = statement.where(AuditRecord.time <= where.time_lte)
    return statement


def to_csv(records: Iterable[AuditRecord]) -> Iterable[str]:
    """UTF-8 with BOM (Excel shows Vietnamese), dates DD/MM/YYYY, formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([title for _, title in CSV_COLUMNS])
    yield buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        cells = []
        for name, _ in CSV_COLUMNS:
            value = getattr(record, name)
            if name == "time":
                value = value.strftime("%d/%m/%Y %H:%M:%S")
            elif name == "detail":
                value = "; ".join(f"{k}={v}" for k, v in sorted((value or {}).items()))
            cells.append(defuse("" if value is None else str(value)))
        writer.writerow(cells)
        yield buffer.getvalue()
