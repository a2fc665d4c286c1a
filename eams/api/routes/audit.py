"""`/api/v1/audit`: the audit log, filtered, paged, and as CSV; admins also check its chain.

Admins read everything, every caller their own actions, a scoped caller the actions on its
agencies' objects (eams/auth/audit/query.py). Exporting the log is itself recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import func, select

from eams.api.deps import Caller, SessionDep, require
from eams.api.errors import BadRequest
from eams.api.resources import Page
from eams.auth import Permission, Principal, audit
from eams.auth.audit.models import AuditRecord
from eams.auth.audit.query import AuditFilter, filtered, to_csv
from eams.auth.audit.request import record_request_action
from eams.auth.schemas import AuditRead, ChainAnswer

router = APIRouter(prefix="/audit", tags=["audit"])
EXPORT_MAX_ROWS = 200_000


class Filters:
    """The filters both the list and the export take."""

    def __init__(
        self,
        actor: str | None = Query(None, max_length=150, description="user:NAME or token:NAME"),
        action: str | None = Query(
            None, max_length=100, description="login, user.create, devices.update; user.* for a family"
        ),
        outcome: str | None = Query(None, max_length=20, description="ok, failed, locked, refused ..."),
        object_type: str | None = Query(None, max_length=50),
        object_id: int | None = Query(None, ge=0, le=2**31 - 1),
        user_id: int | None = Query(None, ge=0, le=2**31 - 1, description="Actions by this account"),
        agency_id: int | None = Query(
            None, ge=0, le=2**31 - 1, description="Actions on this agency's objects"
        ),
        request_id: str | None = Query(None, max_length=64),
        time__gte: datetime | None = Query(None, description="From (ISO 8601)"),
        time__lte: datetime | None = Query(None, description="Until (ISO 8601)"),
    ) -> None:
        for name, moment in (("time__gte", time__gte), ("time__lte", time__lte)):
            if moment is not None and moment.tzinfo is None:
                raise BadRequest("give the time with its offset, e.g. 2026-12-01T08:00:00+07:00", field=name)
        self.where = AuditFilter(
            actor=actor,
            action=action,
            outcome=outcome,
            object_type=object_type,
            object_id=object_id,
            user_id=user_id,
            agency_id=agency_id,
            request_id=request_id,
            time_gte=time__gte,
            time_lte=time__lte,
        )


@router.get("", response_model=Page[AuditRead], summary="List audit records (newest first)")
def list_audit(
    session: SessionDep,
    caller: Caller,
    filters: Filters = Depends(),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> Any:
    statement = filtered(caller, filters.where)
    count = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(statement.order_by(AuditRecord.id.desc()).limit(limit).offset(offset)).all()
    return {"count": count, "limit": limit, "offset": offset, "results": list(rows)}


@router.get(
    "/export.csv",
    summary="The audit records as CSV (UTF-8 with BOM, oldest first)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_audit(
    request: Request, session: SessionDep, caller: Caller, filters: Filters = Depends()
) -> Response:
    statement = filtered(caller, filters.where).order_by(AuditRecord.id).limit(EXPORT_MAX_ROWS)
    rows = session.scalars(statement).all()
    body = "".join(to_csv(rows))
    record_request_action(session, request, caller, "audit.export", detail={"rows": len(rows)})
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="eams-audit.csv"'},
    )


@router.get("/verify", response_model=ChainAnswer, summary="Check the hash chain (admins)")
def verify_chain(session: SessionDep, caller: Principal = Depends(require(Permission.manage_tokens))) -> Any:
    report = audit.verify(session)
    return {"ok": report.ok, "checked": report.checked, "bad_id": report.bad_id, "problem": report.problem}
