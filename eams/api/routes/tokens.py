"""`/api/v1/tokens`: admins list, create and revoke API tokens (the same store as `eams token`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import ColumnElement, func, select

from eams.api.deps import SessionDep, require
from eams.api.errors import Forbidden, NotFound, Unprocessable
from eams.api.resources import Page
from eams.auth import Permission, Principal, TokenError, create_token
from inventory.models import ApiToken
from inventory.schemas.auth import TokenCreate, TokenCreated, TokenRead

router = APIRouter(prefix="/tokens", tags=["tokens"])
Admin = Depends(require(Permission.manage_tokens))


def _visible(caller: Principal) -> list[ColumnElement[bool]]:
    # A token scoped to an agency manages only tokens scoped inside that agency's subtree.
    if caller.agency_ids is None:
        return []
    return [ApiToken.agency_id.in_(caller.agency_ids)]


@router.get("", response_model=Page[TokenRead], summary="List tokens (never their values)")
def list_tokens(
    session: SessionDep,
    caller: Principal = Admin,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    revoked: bool | None = Query(None, description="Only revoked (true) or only usable (false) tokens"),
) -> Any:
    clauses = _visible(caller)
    if revoked is not None:
        clauses.append(ApiToken.revoked.is_(revoked))
    count = session.scalar(select(func.count()).select_from(ApiToken).where(*clauses)) or 0
    rows = session.scalars(select(ApiToken).where(*clauses).order_by(ApiToken.id).limit(limit).offset(offset))
    return {"count": count, "limit": limit, "offset": offset, "results": list(rows)}


@router.post(
    "", status_code=201, response_model=TokenCreated, summary="Create a token (its value is shown once)"
)
def create(payload: TokenCreate, session: SessionDep, caller: Principal = Admin) -> Any:
    if caller.agency_ids is not None and payload.agency_id not in caller.agency_ids:
        raise Forbidden(
            "a token scoped to an agency may only create tokens scoped inside it; set agency_id",
            field="agency_id",
        )
    try:
        token, clear = create_token(
            session,
            name=payload.name,
            role=payload.role,
            agency_id=payload.agency_id,
            expires_at=payload.expires_at,
        )
    except TokenError as exc:
        raise Unprocessable(str(exc), field="agency_id" if "agency" in str(exc) else "name") from None
    return {**TokenRead.model_validate(token).model_dump(), "token": clear}


@router.delete("/{token_id}", status_code=204, summary="Revoke a token (it gets 401 from now on)")
def revoke(
    session: SessionDep, token_id: int = Path(ge=1, le=2**31 - 1), caller: Principal = Admin
) -> Response:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, *_visible(caller)))
    if token is None:
        raise NotFound(f"token {token_id} not found")
    token.revoked = True
    return Response(status_code=204)
