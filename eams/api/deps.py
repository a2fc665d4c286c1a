"""Request dependencies: the database session and the authenticated principal.

The principal comes from a bearer token (machines, scripts) or from a person's session cookie;
it is the same `Principal` either way, so every role and scope check applies unchanged. Requests
made with the cookie that change state must carry the session's CSRF token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from eams.api.errors import Forbidden, Unauthorized
from eams.auth import Permission, Principal, resolve_token
from eams.auth.service import accounts_of
from eams.auth.sessions import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ClientInfo,
    ResolvedSession,
    resolve_session,
    verify_csrf,
)
from eams.services import Services

_bearer = HTTPBearer(auto_error=False, description="A token from `eams token create`")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a restricted session (password to change, MFA to enrol) may still reach.
RESTRICTED_SESSION_PATHS = ("/api/v1/auth/",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed when the handler returns without error. The
    request first gets one of the API's connections (eams.api.admission), or answers 503."""
    svc: Services = request.app.state.services
    gate = getattr(request.app.state, "request_gate", None)
    if gate is not None:
        gate.enter()
    try:
        with svc.db.sessionmaker() as session, session.begin():
            session.info["request_id"] = request_id(request)
            yield session
    finally:
        if gate is not None:
            gate.leave()


def request_id(request: Request) -> str | None:
    """The request's id: the caller's X-Request-ID, else the one the audit middleware gave it."""
    return request.headers.get("x-request-id") or getattr(request.state, "request_id", None)


def client_info(request: Request) -> ClientInfo:
    return ClientInfo(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        request_id=request_id(request),
    )


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer` or else the `eams_session` cookie. Async so that
    a form's CSRF field can be read; the database work runs in a worker thread."""
    svc: Services = request.app.state.services
    if credentials is not None and credentials.credentials:
        found = await asyncio.to_thread(caller_from_token, svc, credentials.credentials)
        if found is None:
            raise Unauthorized("the token is unknown, revoked or expired")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthorized(
                "sign in (POST /api/v1/auth/login) or send a bearer token: Authorization: Bearer <token>"
            )
        resolved = await asyncio.to_thread(caller_from_session, svc, cookie)
        if resolved is None:
            raise Unauthorized("the session has expired or was signed out; sign in again")
        # Known before the CSRF check, so that a refused forgery is in the audit log under the
        # account whose browser sent it.
        request.state.principal = resolved.principal
        if request.method not in SAFE_METHODS and not verify_csrf(resolved, await _csrf_presented(request)):
            raise Forbidden(
                f"a request made with the session cookie needs its CSRF token in the {CSRF_HEADER} "
                f"header or the {CSRF_FORM_FIELD} form field (the eams_csrf cookie holds it)",
                field=CSRF_HEADER,
            )
        found = resolved.principal
        request.state.session = resolved
        if found.restrictions and not request.url.path.startswith(RESTRICTED_SESSION_PATHS):
            needed = ", ".join(sorted(r.value for r in found.restrictions))
            raise Forbidden(f"finish signing in first ({needed}): see /api/v1/auth/me", field="session")
    request.state.principal = found
    return found


def caller_from_token(svc: Services, clear: str) -> Principal | None:
    """The principal of a bearer token (blocking: call it from a worker thread)."""
    with svc.db.session() as session:
        return resolve_token(session, clear)


def caller_from_session(svc: Services, cookie: str) -> ResolvedSession | None:
    """The session behind a cookie value (blocking: call it from a worker thread)."""
    accounts = accounts_of(svc)
    with svc.db.session() as session:
        return resolve_session(session, accounts.keys, accounts.config, cookie)


async def _csrf_presented(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # Starlette keeps it: the handler reads the same form
        value = form.get(CSRF_FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


def actor_of(
    request: Request,
    session: Annotated[Session, Depends(db_session, scope="function")],
    caller: Annotated[Principal, Depends(principal)],
) -> Principal:
    """The principal, named as the actor of the request's changes (change log, audit)."""
    session.info["actor"] = caller.actor
    return caller


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only with `permission`."""

    def check(caller: Annotated[Principal, Depends(actor_of)]) -> Principal:
        if not caller.can(permission):
            raise Forbidden(f"role {caller.role.value!r} may not {permission.value.replace('_', ' ')}")
        return caller

    return check


# scope="function": the transaction commits before the answer is sent. With FastAPI's default
# ("request") it committed after, so a client could read its own write before it was there, and a
# failed commit followed a 201 already sent.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
ServicesDep = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(actor_of)]  # any signed-in caller, whatever its role
Reader = Annotated[Principal, Depends(require(Permission.read))]
Writer = Annotated[Principal, Depends(require(Permission.write))]
