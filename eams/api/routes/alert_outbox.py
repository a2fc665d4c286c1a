"""GET /alert-outbox: the notifications queued for delivery, delivered, or refused for good
(`status=failed`: an SMTP 5xx or a webhook's 4xx, not retried; the engine raises
`notification-refused` for them). Province-wide, like the routing: no agency-scoped tokens."""

# No `from __future__ import annotations`: FastAPI reads the annotations at runtime.

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from eams.alerts.models import OutboxMessage
from eams.api.deps import SessionDep, require
from eams.api.errors import Forbidden
from eams.auth import Permission, Principal

router = APIRouter(tags=["alerts"])


class OutboxRead(BaseModel):
    id: int
    receiver: str
    status: str
    title: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


@router.get(
    "/alert-outbox",
    summary="Notifications: pending (with their last error), delivered, or failed (refused for good)",
)
def list_outbox(
    session: SessionDep,
    caller: Principal = Depends(require(Permission.manage_alerting)),
    status: Literal["pending", "delivered", "failed"] | None = Query(None),
    receiver: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> Any:
    if caller.agency_ids is not None:
        raise Forbidden("a token scoped to an agency may not read the province-wide notification outbox")
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if receiver is not None:
        query = query.where(OutboxMessage.receiver == receiver)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    results = [
        OutboxRead(
            id=row.id,
            receiver=row.receiver,
            status=row.status,
            title=str(row.payload.get("title", "")),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
        ).model_dump(mode="json")
        for row in rows
    ]
    return {"count": count, "limit": limit, "offset": offset, "results": results}
