"""Recording an action of an API request or a page in the audit log, in the request's own
transaction (so the record and the change commit together, or neither does)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from eams.auth.audit.chain import AuditEntry, append
from eams.auth.audit.models import AuditRecord
from eams.auth.principal import Principal

AUDITED_FLAG = "audited"  # in request.state: the generic API-write record is then not added


def entry_for(
    caller: Principal | None,
    action: str,
    *,
    address: str | None = None,
    user_agent: str | None = None,
    request_id: str | None = None,
    outcome: str = "ok",
    object_type: str | None = None,
    object_id: int | None = None,
    object_repr: str | None = None,
    agency_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """An entry naming `caller` (or `actor`: "cli", "system" when no principal acts)."""
    return AuditEntry(
        action=action,
        actor=actor or (caller.actor if caller is not None else "anonymous"),
        outcome=outcome,
        actor_user_id=caller.user_id if caller is not None else None,
        actor_token_id=caller.token_id if caller is not None else None,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        agency_id=agency_id,
        request_id=request_id,
        address=address,
        user_agent=user_agent,
        detail=detail or {},
    )


def record_request_action(
    session: Session,
    request: Request,
    caller: Principal | None,
    action: str,
    **fields: Any,
) -> AuditRecord:
    """Append a record naming the caller, address, user agent and request id of `request`."""
    setattr(request.state, AUDITED_FLAG, True)
    request_id = request.headers.get("x-request-id") or getattr(request.state, "request_id", None)
    entry = entry_for(
        caller,
        action,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        request_id=request_id,
        **fields,
    )
    return append(session, entry)
