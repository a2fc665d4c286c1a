"""/admin/users: people's accounts for administrators — list (role, scope, MFA, lockout, last
sign-in), create, disable and enable, unlock, set a password, reset MFA.

Each action calls the `/api/v1/users` function itself (`eams.api.routes.users`, over
`eams.auth.users`): the same rules, the same agency-scope limits of a scoped admin, the same audit
records. A refusal is shown above the list instead of an error page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from eams.api.errors import ApiError
from eams.api.routes import users as users_api
from eams.auth import Principal, throttle
from eams.auth.models import LoginThrottle
from eams.auth.schemas import PasswordSetIn, UserCreate, UserUpdate
from eams.web.admin import admin_only, crumbs
from eams.web.context import Crumb, PageContext
from eams.web.listing import ListPage, query_items
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import render, translate
from inventory.models import Agency, Role
from inventory.models.base import utcnow

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
UserId = Path(ge=1, le=2**31 - 1)
PEOPLE_ROLES = [r.value for r in Role if r is not Role.collector]


def listing(
    request: Request,
    page: PageContext,
    session: PageSession,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    assert page.caller is not None
    params = request.query_params
    raw_offset = params.get("offset", "0")
    offset = min(int(raw_offset), 2**31) if raw_offset.isdigit() else 0
    role = params.get("role") or None
    active = {"yes": True, "no": False}.get(params.get("active", ""))
    q = (params.get("q") or "").strip()[:100] or None
    found = users_api.list_users(
        session,
        page.caller,
        limit=PAGE_SIZE,
        offset=offset,
        role=Role(role) if role in PEOPLE_ROLES else None,
        active=active,
        q=q,
    )
    users = found["results"]
    keys = {throttle.username_key(u.username): u.id for u in users}
    now = utcnow()
    locked = {
        keys[row.key]
        for row in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        if row.locked_until is not None and row.locked_until > now
    }
    # A scoped admin gives accounts only a scope inside theirs: offer just those agencies.
    agencies: list[tuple[int, str]] = [
        (i, n)
        for i, n in session.execute(select(Agency.id, Agency.name).order_by(Agency.name))
        if page.caller.agency_ids is None or i in page.caller.agency_ids
    ]
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Users")))
    return render(
        request,
        page,
        "admin/users.html",
        status_code=status_code,
        listed=ListPage(found["count"], users, PAGE_SIZE, offset, query_items(request)),
        locked=locked,
        agency_names=dict(agencies),
        agencies=agencies,
        roles=PEOPLE_ROLES,
        problem=problem,
        done=params.get("done"),
    )


def refused(request: Request, page: PageContext, session: PageSession, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return listing(request, page, session, status_code=exc.status_code, problem=exc.message)
    assert isinstance(exc, ValidationError)
    fields = ", ".join(sorted({str(e["loc"][-1]) for e in exc.errors()}))
    problem = translate(page.language, "Check these fields: %(fields)s.") % {"fields": fields}
    return listing(request, page, session, status_code=422, problem=problem)


def admin_caller(page: PageContext) -> Principal:
    admin_only(page)
    assert page.caller is not None
    return page.caller


def back(done: str) -> Response:
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, page: Page, session: PageSession) -> Response:
    admin_only(page)
    return listing(request, page, session)


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
def create(
    request: Request,
    page: Page,
    session: PageSession,
    username: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    agency_id: Annotated[str, Form(max_length=12)] = "",
    language: Annotated[str, Form(max_length=5)] = "vi",
) -> Response:
    admin_only(page)
    assert page.caller is not None
    values: dict[str, Any] = {
        "username": username,
        "role": role,
        "password": password or None,
        "full_name": full_name,
        "email": email or None,
        "agency_id": int(agency_id) if agency_id.isdigit() else None,
        "language": language,
    }
    savepoint = session.begin_nested()
    try:
        users_api.create(UserCreate(**values), request, session, request.app.state.services, page.caller)
    except (ApiError, ValidationError) as exc:
        savepoint.rollback()
        return refused(request, page, session, exc)
    savepoint.commit()
    return back("created")


def act(request: Request, page: PageContext, session: PageSession, action: Any, done: str) -> Response:
    """One action on one account, in a savepoint: refused, it leaves nothing half done."""
    savepoint = session.begin_nested()
    try:
        action()
    except (ApiError, ValidationError) as exc:
        savepoint.rollback()
        return refused(request, page, session, exc)
    savepoint.commit()
    return back(done)


@router.post("/admin/users/{user_id}/disable", dependencies=[Depends(check_csrf)])
def disable(request: Request, page: Page, session: PageSession, user_id: int = UserId) -> Response:
    caller = admin_caller(page)
    return act(
        request, page, session, lambda: users_api.disable(request, session, user_id, caller), "disabled"
    )


@router.post("/admin/users/{user_id}/enable", dependencies=[Depends(check_csrf)])
def enable(request: Request, page: Page, session: PageSession, user_id: int = UserId) -> Response:
    caller = admin_caller(page)
    return act(
        request,
        page,
        session,
        lambda: users_api.update(UserUpdate(active=True), request, session, user_id, caller),
        "enabled",
    )


@router.post("/admin/users/{user_id}/unlock", dependencies=[Depends(check_csrf)])
def unlock(request: Request, page: Page, session: PageSession, user_id: int = UserId) -> Response:
    caller = admin_caller(page)
    return act(
        request, page, session, lambda: users_api.unlock(request, session, user_id, caller), "unlocked"
    )


@router.post("/admin/users/{user_id}/mfa-reset", dependencies=[Depends(check_csrf)])
def reset_mfa(request: Request, page: Page, session: PageSession, user_id: int = UserId) -> Response:
    caller = admin_caller(page)
    return act(
        request,
        page,
        session,
        lambda: users_api.reset_mfa(request, session, user_id, caller),
        "mfa-reset",
    )


@router.post("/admin/users/{user_id}/password", dependencies=[Depends(check_csrf)])
def set_password(
    request: Request,
    page: Page,
    session: PageSession,
    user_id: int = UserId,
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    caller = admin_caller(page)
    services = request.app.state.services
    return act(
        request,
        page,
        session,
        lambda: users_api.set_user_password(
            PasswordSetIn(password=password), request, session, services, user_id, caller
        ),
        "password",
    )
