"""Request dependencies: the database session and the authenticated principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from eams.api.errors import Forbidden, Unauthorized
from eams.auth import Permission, Principal, resolve_token
from eams.services import Services

_bearer = HTTPBearer(auto_error=False, description="A token from `eams token create`")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed when the handler returns without error."""
    svc: Services = request.app.state.services
    with svc.db.sessionmaker() as session, session.begin():
        session.info["request_id"] = request.headers.get("x-request-id")
        yield session


def principal(
    request: Request,
    session: Annotated[Session, Depends(db_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is required: Authorization: Bearer <token>")
    found = resolve_token(session, credentials.credentials)
    if found is None:
        raise Unauthorized("the token is unknown, revoked or expired")
    session.info["actor"] = found.actor
    request.state.principal = found
    return found


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only with `permission`."""

    def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not caller.can(permission):
            raise Forbidden(f"role {caller.role.value!r} may not {permission.value.replace('_', ' ')}")
        return caller

    return check


SessionDep = Annotated[Session, Depends(db_session)]
ServicesDep = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require(Permission.read))]
Writer = Annotated[Principal, Depends(require(Permission.write))]
