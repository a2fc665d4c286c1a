"""`/api/v1/users`: admins manage people's accounts (the same rules as `eams user`).

An admin scoped to an agency manages only accounts scoped inside that agency's subtree, and can
give none a wider scope. Every change is in the audit log; no answer carries a password or hash.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from eams.api.deps import ServicesDep, SessionDep, require
from eams.api.errors import Conflict, Forbidden, NotFound, Unprocessable
from eams.api.resources import Page
from eams.auth import Permission, Principal, mfa
from eams.auth.audit.request import record_request_action
from eams.auth.models import User
from eams.auth.schemas import PasswordSetIn, SessionRead, UserCreate, UserRead, UserUpdate
from eams.auth.sessions import live_sessions, revoke_sessions
from eams.auth.users import (
    UserError,
    UserFields,
    create_user,
    disable_user,
    set_password,
    unlock_user,
    update_user,
)
from inventory.models import Role

router = APIRouter(prefix="/users", tags=["users"])
Admin = Depends(require(Permission.manage_tokens))  # the permission that manages who may sign in
UserId = Path(ge=1, le=2**31 - 1)


def _visible(caller: Principal) -> list[ColumnElement[bool]]:
    if caller.agency_ids is None:
        return []
    return [User.agency_id.in_(caller.agency_ids)]


def _load(session: Session, caller: Principal, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id, *_visible(caller)))
    if user is None:
        raise NotFound(f"user {user_id} not found", field="user_id")
    return user


def _check_scope(caller: Principal, agency_id: int | None) -> None:
    if caller.agency_ids is not None and agency_id not in caller.agency_ids:
        raise Forbidden(
            "an admin scoped to an agency may only give accounts a scope inside it; set agency_id",
            field="agency_id",
        )


def _user_error(exc: UserError) -> Exception:
    if exc.field == "username" and "taken" in str(exc):
        return Conflict(str(exc), field="username")
    return Unprocessable(str(exc), field=exc.field)


def _audit(
    session: Session, request: Request, caller: Principal, action: str, user: User, **detail: Any
) -> None:
    record_request_action(
        session,
        request,
        caller,
        action,
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
        detail=detail,
    )


@router.get("", response_model=Page[UserRead], summary="List accounts")
def list_users(
    session: SessionDep,
    caller: Principal = Admin,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    role: Role | None = Query(None),
    active: bool | None = Query(None),
    q: str | None = Query(None, max_length=100, description="Part of the username, name or e-mail"),
) -> Any:
    clauses = _visible(caller)
    if role is not None:
        clauses.append(User.role == role)
    if active is not None:
        clauses.append(User.active.is_(active))
    if q:
        pattern = f"%{q.strip().lower()}%"
        clauses.append(
            func.lower(User.username).like(pattern)
            | func.lower(User.full_name).like(pattern)
            | func.lower(func.coalesce(User.email, "")).like(pattern)
        )
    count = session.scalar(select(func.count()).select_from(User).where(*clauses)) or 0
    rows = session.scalars(select(User).where(*clauses).order_by(User.id).limit(limit).offset(offset))
    return {"count": count, "limit": limit, "offset": offset, "results": list(rows)}


@router.post("", status_code=201, response_model=UserRead, summary="Create an account")
def create(
    payload: UserCreate,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: Principal = Admin,
) -> Any:
    _check_scope(caller, payload.agency_id)
    try:
        user = create_user(
            session,
            services.settings.auth,
            username=payload.username,
            role=Role(payload.role),
            password=payload.password,
            full_name=payload.full_name,
            email=payload.email,
            agency_id=payload.agency_id,
            language=payload.language,
        )
    except UserError as exc:
        raise _user_error(exc) from None
    _audit(session, request, caller, "user.create", user, role=user.role.value)
    return user


@router.get("/{user_id}", response_model=UserRead, summary="Read an account")
def read(session: SessionDep, user_id: int = UserId, caller: Principal = Admin) -> Any:
    return _load(session, caller, user_id)


@router.patch("/{user_id}", response_model=UserRead, summary="Change an account (role, scope, active ...)")
def update(
    payload: UserUpdate,
    request: Request,
    session: SessionDep,
    user_id: int = UserId,
    caller: Principal = Admin,
) -> Any:
    user = _load(session, caller, user_id)
    if payload.agency_id is not None or payload.clear_agency:
        _check_scope(caller, None if payload.clear_agency else payload.agency_id)
    if caller.user_id == user.id and (payload.active is False or (payload.role and payload.role != "admin")):
        raise Forbidden("an admin cannot disable or demote their own account", field="active")
    fields = UserFields(
        full_name=payload.full_name,
        email=payload.email,
        role=Role(payload.role) if payload.role else None,
        agency_id=payload.agency_id,
        clear_agency=payload.clear_agency,
        language=payload.language,
        active=payload.active,
    )
    try:
        update_user(session, user, fields)
    except UserError as exc:
        raise _user_error(exc) from None
    changed = sorted(payload.model_dump(exclude_unset=True))
    _audit(session, request, caller, "user.update", user, fields=changed)
    return user


@router.post("/{user_id}/password", status_code=204, summary="Set a password (to be changed at next sign-in)")
def set_user_password(
    payload: PasswordSetIn,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user_id: int = UserId,
    caller: Principal = Admin,
) -> Response:
    user = _load(session, caller, user_id)
    try:
        set_password(session, services.settings.auth, user, payload.password, by_admin=True)
    except UserError as exc:
        raise _user_error(exc) from None
    _audit(session, request, caller, "user.set_password", user)
    return Response(status_code=204)


@router.post(
    "/{user_id}/disable", response_model=UserRead, summary="Disable an account (its sessions end now)"
)
def disable(request: Request, session: SessionDep, user_id: int = UserId, caller: Principal = Admin) -> Any:
    user = _load(session, caller, user_id)
    if caller.user_id == user.id:
        raise Forbidden("an admin cannot disable their own account", field="user_id")
    ended = disable_user(session, user)
    _audit(session, request, caller, "user.disable", user, sessions_ended=ended)
    return user


@router.post("/{user_id}/unlock", response_model=UserRead, summary="Release a sign-in lockout")
def unlock(request: Request, session: SessionDep, user_id: int = UserId, caller: Principal = Admin) -> Any:
    user = _load(session, caller, user_id)
    released = unlock_user(session, user)
    _audit(session, request, caller, "user.unlock", user, released=released)
    return user


@router.post("/{user_id}/mfa/reset", response_model=UserRead, summary="Turn a user's MFA off (lost phone)")
def reset_mfa(request: Request, session: SessionDep, user_id: int = UserId, caller: Principal = Admin) -> Any:
    user = _load(session, caller, user_id)
    mfa.disable_mfa(session, user)
    revoke_sessions(session, user.id)
    _audit(session, request, caller, "user.mfa_reset", user)
    return user


@router.get("/{user_id}/sessions", response_model=list[SessionRead], summary="An account's live sessions")
def user_sessions(
    session: SessionDep, services: ServicesDep, user_id: int = UserId, caller: Principal = Admin
) -> Any:
    user = _load(session, caller, user_id)
    return live_sessions(session, services.settings.auth, user.id)


@router.delete("/{user_id}/sessions", summary="Sign an account out everywhere")
def end_user_sessions(
    request: Request, session: SessionDep, user_id: int = UserId, caller: Principal = Admin
) -> dict[str, int]:
    user = _load(session, caller, user_id)
    ended = revoke_sessions(session, user.id)
    _audit(session, request, caller, "user.logout_everywhere", user, sessions_ended=ended)
    return {"ended": ended}
